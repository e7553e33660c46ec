using ScaleLab.Lab.Sweeps;
using ScaleLab.Lab.Tests.Execution;

namespace ScaleLab.Lab.Tests.Sweeps;

public sealed class SweepSpecKindTests
{
    [Fact]
    public void Parse_KindLmSaidAloud_SameRunsAndKeysAsWithoutKind()
    {
        // Given
        var plain = SweepSpec.Parse(InProcessExecutorTests.TinySpec);

        // When
        var explicitLm = SweepSpec.Parse("kind = \"lm\"\n" + InProcessExecutorTests.TinySpec);

        // Then: no kind recorded (null means the language model), the very same runs
        Assert.Null(explicitLm.Kind);
        Assert.Equal(plain.NewRuns(), explicitLm.NewRuns());
        Assert.All(explicitLm.NewRuns(), r => Assert.Null(r.Kind));
    }

    [Fact]
    public void Parse_UnknownKind_OneLineNamingFileLineAndKey()
    {
        // Given
        const string text = "study = \"x\"\nkind = \"hex-selfplay\"\n[settings]\nboard = 5\n";

        // When
        var error = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(text, "x.toml"));

        // Then
        Assert.StartsWith("x.toml:2: key 'kind'", error.Message);
        Assert.Contains("unknown run kind 'hex-selfplay'", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Parse_KindSpecWithLanguageModelKey_RefusedNamingIt()
    {
        // Given: a kind spec keeps its own settings under [settings]
        const string text = "study = \"x\"\nkind = \"other\"\nseq_len = 16\n";

        // When
        var error = Assert.Throws<InvalidDataException>(() => SweepSpec.Parse(text, "x.toml"));

        // Then
        Assert.Contains("key 'seq_len': unknown key", error.Message);
    }
}
