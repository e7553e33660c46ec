using System.Text.Json;

namespace ScaleLab.Laws.Tests.Statistics;

public sealed class JsonNumbersTests
{
    private static readonly JsonSerializerOptions Plain = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions Rule = JsonNumbers.With(new JsonSerializerOptions { WriteIndented = true });

    [Fact]
    public void With_FiniteNumbers_WritesTheSameBytesAsSystemTextJson()
    {
        // Given finite doubles and floats across the range (shortest round-trip forms, subnormals, negative zero)
        var doc = new
        {
            a = new[] { 0.1, 1.0 / 3, 1e300, -2.5e-7, double.Epsilon, -0.0, 123456789012345.0, double.MaxValue },
            f = new[] { 0.1f, float.MaxValue, 1e-40f },
            n = (double?)1.25,
            m = new Dictionary<string, double> { ["x"] = 6.02e23 },
        };

        // When
        var plain = JsonSerializer.Serialize(doc, Plain);
        var rule = JsonSerializer.Serialize(doc, Rule);

        // Then byte for byte
        Assert.Equal(plain, rule);
    }

    [Fact]
    public void With_NonFiniteNumbers_WritesNullWhereThePlainSerializerThrows()
    {
        // Given NaN and infinities as double, float, double? and boxed object
        var doc = new { a = double.NaN, b = double.PositiveInfinity, c = (double?)double.NegativeInfinity, d = float.NaN, e = (object)double.NaN, g = new[] { 1.0, double.NaN } };

        // When
        var json = JsonSerializer.Serialize(doc, Rule);

        // Then null each time, and the plain serializer refuses the document
        Assert.Equal("{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null,\"g\":[1,null]}", json.Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.Throws<ArgumentException>(() => JsonSerializer.Serialize(doc, Plain));
    }

    [Fact]
    public void With_Reading_NullIsNaNAndOldNamedLiteralsAreAccepted()
    {
        // Given a document as written by this rule and one as fit documents were written before it
        const string current = "{\"Lo\":null,\"Hi\":2.5}";
        const string older = "{\"Lo\":\"-Infinity\",\"Hi\":\"NaN\"}";

        // When
        var a = JsonSerializer.Deserialize<Interval>(current, Rule)!;
        var b = JsonSerializer.Deserialize<Interval>(older, Rule)!;

        // Then
        Assert.True(double.IsNaN(a.Lo));
        Assert.Equal(2.5, a.Hi);
        Assert.True(double.IsNegativeInfinity(b.Lo));
        Assert.True(double.IsNaN(b.Hi));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Interval>("{\"Lo\":\"one\",\"Hi\":2}", Rule));
    }

    [Fact]
    public void LawFitDocument_NaNStandardError_RoundTripsAsNull()
    {
        // Given a fit document's diagnostics with a NaN standard error (an unidentified parameter)
        var doc = new DiagnosticsDocument("m", ["E"], [double.NaN], [[1.0]], [[double.NaN]], double.PositiveInfinity, true, 0.1, 3, []);

        // When
        var json = JsonSerializer.Serialize(doc, LawFitDocument.JsonOptions);
        var back = JsonSerializer.Deserialize<DiagnosticsDocument>(json, LawFitDocument.JsonOptions)!;

        // Then written as null (not the string "NaN"), read back as NaN and infinity-as-null as NaN
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
        Assert.Contains("\"condition_number\": null", json, StringComparison.Ordinal);
        Assert.True(double.IsNaN(back.StandardErrors[0]));
        Assert.True(double.IsNaN(back.ConditionNumber));
    }
}
