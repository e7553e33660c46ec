using System.Text.Json;
using ScaleLab.Lab.Execution;
using ScaleLab.Lab.Registry;
using ScaleLab.Lab.Sweeps;

namespace ScaleLab.Lab.Tests.Execution;

public sealed class RunKindsTests
{
    /// <summary>A kind that only has a name, to test the registry of kinds.</summary>
    private sealed class NamedKind(string name) : IRunKind
    {
        public string Name => name;

        public IReadOnlyList<string> MetricNames => [];

        public IReadOnlyList<NewRun> Expand(string study, JsonElement settings) => [];

        public IRunSession Open(RunContext context) => throw new InvalidDataException("no sessions");
    }

    [Fact]
    public void Get_LanguageModelName_TheBuiltInKind()
    {
        // Given / When
        var kind = RunKinds.Get("lm");

        // Then
        Assert.IsType<LanguageModelRunKind>(kind);
        Assert.Contains("lm", RunKinds.Names);
    }

    [Fact]
    public void Get_UnknownName_InvalidDataNamingKnownKinds()
    {
        // Given / When
        var error = Assert.Throws<InvalidDataException>(() => RunKinds.Get("no-such-kind"));

        // Then
        Assert.Contains("unknown run kind 'no-such-kind'", error.Message);
        Assert.Contains("lm", error.Message);
    }

    [Fact]
    public void Register_AnotherTypeUnderATakenName_Refused()
    {
        // Given
        RunKinds.Register(new NamedKind("runkinds-test-a"));

        // When
        var error = Assert.Throws<ArgumentException>(() => RunKinds.Register(new LanguageModelKindImpostor("runkinds-test-a")));

        // Then: the first registration stands; the same type again is accepted
        Assert.Contains("already registered", error.Message);
        RunKinds.Register(new NamedKind("runkinds-test-a"));
        Assert.IsType<NamedKind>(RunKinds.Get("runkinds-test-a"));
    }

    private sealed class LanguageModelKindImpostor(string name) : IRunKind
    {
        public string Name => name;

        public IReadOnlyList<string> MetricNames => [];

        public IReadOnlyList<NewRun> Expand(string study, JsonElement settings) => [];

        public IRunSession Open(RunContext context) => throw new InvalidDataException("no sessions");
    }

    [Fact]
    public void Expand_LanguageModelSettingsAsJson_SameRunsAsTheTomlSpec()
    {
        // Given: the TOML spec, and the same settings as JSON (what a spec with a [settings] table hands a kind)
        var toml = SweepSpec.Parse(InProcessExecutorTests.TinySpec);
        var json = JsonDocument.Parse("""
            {"corpus": "synthetic:3", "seq_len": 16, "batch_size": 4, "tokens": [1280, 2560, 3840], "eval_interval": 7,
             "eval_batches": 2, "models": [{"layers": 1, "d_model": 16, "heads": 2}, {"layers": 2, "d_model": 16, "heads": 4}],
             "schedule": {"warmup_steps": 3}}
            """).RootElement;

        // When
        var runs = RunKinds.Get("lm").Expand("tiny", json);

        // Then
        Assert.Equal(toml.Expand().Select(r => r.ToNewRun()), runs);
    }

    [Fact]
    public void Expand_LanguageModelSettingsWithBadKey_OneLineNamingIt()
    {
        // Given
        var json = JsonDocument.Parse("""{"seq_len": 16, "batch_size": 4, "tokens": [64], "layerz": 2}""").RootElement;

        // When
        var error = Assert.Throws<InvalidDataException>(() => RunKinds.Get("lm").Expand("tiny", json));

        // Then
        Assert.Contains("layerz", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
