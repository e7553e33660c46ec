namespace ScaleLab.Laws.Tests;

public sealed class LawFitDocumentTests
{
    [Fact]
    public void ToJson_FitWithBootstrap_RoundTripsAndPlansIdentically()
    {
        // Given
        var data = Synthetic.FromLaw(ChinchillaLaw.Instance, Synthetic.ChinchillaTruth, Synthetic.NdGrid(6), 0.01, 4);
        var fit = LawFitter.Fit(ChinchillaLaw.Instance, data, new FitOptions { Starts = Synthetic.SmallChinchillaGrid() })
            .WithBootstrap(data, new BootstrapOptions { Samples = 40, Seed = 1, GridStarts = 0 });

        // When
        var json = LawFitDocument.From(fit).ToJson();
        var back = LawFitDocument.Parse(json, "fit.json");

        // Then: snake_case names, symbols as keys, draws kept, plan from the document equals plan from the fit.
        Assert.Contains("\"points_used\": 36", json);
        Assert.Contains("\"starts_at_best\"", json);
        Assert.Contains("\"alpha\": {", json);
        Assert.Equal("chinchilla", back.Law);
        Assert.Equal(fit["beta"], back.Parameters["beta"].Value);
        Assert.Equal(fit.Bootstrap!.Parameters[0].Lo, back.Parameters["E"].Lo);
        Assert.Equal(fit.Bootstrap.Draws.Length, back.Bootstrap!.Draws.Length);
        var fromFit = ComputePlanner.Plan(fit, 1e23);
        var fromDoc = ComputePlanner.Plan(back.Values(), 1e23, back.Draws(), back.Bootstrap.Level);
        Assert.Equal(fromFit.N, fromDoc.N);
        Assert.Equal(fromFit.NInterval, fromDoc.NInterval);
    }

    [Fact]
    public void Parse_NotJson_ThrowsInvalidDataNamingTheSource()
    {
        var ex = Assert.Throws<InvalidDataException>(() => LawFitDocument.Parse("{ nope", "fit.json"));
        Assert.StartsWith("fit.json: ", ex.Message);
    }
}
