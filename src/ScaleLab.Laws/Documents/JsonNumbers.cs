using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScaleLab.Laws;

/// <summary>
/// The one rule for numbers in ScaleLab's JSON documents (fit, backtest, plan, report, runs, trend, isoflop, gns,
/// critical-batch, train, sweep, eval, sample): a finite double or float is written exactly as System.Text.Json
/// writes it (shortest round-trip form), and a NaN or infinite one is written as <c>null</c>. JSON (RFC 8259 §6) has
/// no NaN or infinity; null is what every JSON reader accepts, where the strings "NaN"/"Infinity" would turn a number
/// field into a string field. A reader of our documents therefore treats null as "no finite value": an unbounded
/// interval end, an undefined skill, an unidentified standard error. Reading, null becomes NaN, and the strings
/// "NaN", "Infinity" and "-Infinity" that fit documents written before this rule carried are still accepted.
/// Every <see cref="JsonSerializerOptions"/> that writes a document is made with <see cref="With"/>.
/// </summary>
public static class JsonNumbers
{
    /// <summary>Adds the rule's converters to <paramref name="options"/> (before any other converter) and returns it.</summary>
    public static JsonSerializerOptions With(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Converters.Insert(0, new DoubleConverter());
        options.Converters.Insert(1, new SingleConverter());
        return options;
    }

    private sealed class DoubleConverter : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.Number => reader.GetDouble(),
            JsonTokenType.Null => double.NaN,
            JsonTokenType.String => Named(reader.GetString()),
            _ => throw new JsonException($"expected a number or null, got {reader.TokenType}"),
        };

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }

    private sealed class SingleConverter : JsonConverter<float>
    {
        public override bool HandleNull => true;

        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.Number => reader.GetSingle(),
            JsonTokenType.Null => float.NaN,
            JsonTokenType.String => (float)Named(reader.GetString()),
            _ => throw new JsonException($"expected a number or null, got {reader.TokenType}"),
        };

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }

    /// <summary>The named literals of older documents; any other string is not a number.</summary>
    private static double Named(string? text) => text switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => throw new JsonException($"expected a number, got the string \"{text}\""),
    };
}
