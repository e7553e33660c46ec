using System.Text;
using ScaleLab.Engine.Data;

namespace ScaleLab.Engine.Sae;

/// <summary>Byte tokens as text a person can read on one line: decoded as UTF-8 (U+FFFD for invalid bytes), with line
/// breaks, tabs and other control characters shown as visible symbols.</summary>
public static class TokenText
{
    /// <summary>A run of tokens for a context snippet: newline ⏎, carriage return ␍, tab ⇥, other controls as ·.</summary>
    public static string Snippet(ReadOnlySpan<int> tokens)
    {
        var text = ByteTokenizer.Decode(tokens);
        var b = new StringBuilder(text.Length);
        foreach (var ch in text)
        {
            b.Append(ch switch
            {
                '\n' => '⏎',
                '\r' => '␍',
                '\t' => '⇥',
                _ when char.IsControl(ch) => '·',
                _ => ch,
            });
        }
        return b.ToString();
    }

    /// <summary>One token alone (a logit list): as <see cref="Snippet"/>, and a space shown as ␣ so it is visible.</summary>
    public static string Single(int token)
    {
        var text = Snippet([token]);
        return text == " " ? "␣" : text;
    }
}
