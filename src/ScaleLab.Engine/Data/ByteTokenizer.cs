using System.Text;

namespace ScaleLab.Engine.Data;

/// <summary>
/// Byte-level tokenizer: a token is one byte, so the vocabulary is exactly 256 and every file can be
/// tokenized. Training never decodes: bytes are bytes, whatever the file's encoding (UTF-8, Latin-1 or
/// binary). Only sample output is decoded, as UTF-8 with U+FFFD for invalid sequences (a model may emit a
/// byte sequence that is not valid UTF-8, and printing it must not fail).
/// </summary>
public static class ByteTokenizer
{
    public const int VocabSize = 256;

    /// <summary>The UTF-8 bytes of <paramref name="text"/> as token ids.</summary>
    public static int[] Encode(string text) => Encode(Encoding.UTF8.GetBytes(text));

    public static int[] Encode(ReadOnlySpan<byte> bytes)
    {
        var tokens = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            tokens[i] = bytes[i];
        }
        return tokens;
    }

    /// <summary>Token ids back to text, decoded as UTF-8 with replacement characters for invalid bytes.</summary>
    public static string Decode(ReadOnlySpan<int> tokens)
    {
        var bytes = new byte[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token {tokens[i]} at {i} is outside the byte vocabulary 0..255");
            }
            bytes[i] = (byte)tokens[i];
        }
        // Encoding.UTF8 (the static instance) replaces invalid sequences with U+FFFD rather than throwing.
        return Encoding.UTF8.GetString(bytes);
    }
}
