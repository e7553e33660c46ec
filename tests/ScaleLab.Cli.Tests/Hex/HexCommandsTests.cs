using System.Text.Json;
using ScaleLab.Cli.Commands.Hex;

namespace ScaleLab.Cli.Tests.Hex;

[Collection("HexPlayInput")]
public class HexCommandsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"hexcli-{Guid.NewGuid():N}");

    public HexCommandsTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        HexPlayCommand.Input = () => Console.In;
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private string TrainTiny()
    {
        var path = Path.Combine(_dir, "a.agent");
        var (code, output, err) = FitCli.Run("hex", "train", "--board", "3", "--width", "4", "--generations", "3", "--games", "8", "--nodes", "4", "--out", path, "--json");
        Assert.True(code == CliApp.ExitOk, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(3, doc.RootElement.GetProperty("generations").GetInt64());
        Assert.True(doc.RootElement.GetProperty("compute_jones").GetDouble() > 0);
        return path;
    }

    [Fact]
    public void TrainThenEval_TinyAgent_ReportsColoursAndWinRate()
    {
        // Given a tiny trained agent
        var agent = TrainTiny();
        // When evaluated against random play
        var (code, output, err) = FitCli.Run("hex", "eval", agent, "--against", "random", "--games", "20", "--nodes", "4", "--json");
        // Then both colours were played equally and the rate lies in [0, 1]
        Assert.True(code == CliApp.ExitOk, err);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.Equal(10, r.GetProperty("games_as_black").GetInt64());
        Assert.Equal(10, r.GetProperty("games_as_white").GetInt64());
        Assert.InRange(r.GetProperty("symmetrised_win_rate").GetDouble(), 0, 1);
    }

    [Theory]
    [InlineData("zz9", "is not a move")]
    [InlineData("d1", "off the 3x3 board")]
    public void Play_BadMove_OneLineExit2(string move, string reason)
    {
        // Given a person typing a bad move
        var agent = TrainTiny();
        HexPlayCommand.Input = () => new StringReader(move + "\n");
        // When
        var (code, output, err) = FitCli.Run("hex", "play", agent, "--nodes", "4");
        // Then one line, exit 2, after the board was drawn
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(reason, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("a b c", output);
    }

    [Fact]
    public void Play_OccupiedCell_OneLineExit2()
    {
        // Given the person plays b2 and then b2 again
        var agent = TrainTiny();
        HexPlayCommand.Input = () => new StringReader("b2\nb2\n");
        var (code, output, err) = FitCli.Run("hex", "play", agent, "--nodes", "4");
        // Then (unless the agent took... it cannot: b2 is the person's) the second b2 is refused
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("b2 is occupied", err);
        Assert.Contains("agent plays", output);
    }

    [Theory]
    [InlineData(new[] { "hex", "train", "--board", "12", "--out", "x.agent" }, "board size must be 3 to 11")]
    [InlineData(new[] { "hex", "train", "--board", "3", "--generations", "0", "--out", "x.agent" }, "generations must be 1")]
    [InlineData(new[] { "hex", "study", "--boards", "2-4" }, "--boards must lie in 3-11")]
    [InlineData(new[] { "hex", "study", "--boards", "x" }, "--boards must be sizes")]
    [InlineData(new[] { "hex", "frontier", "--test-nodes", "0" }, "--test-nodes must be 1 to 100000")]
    [InlineData(new[] { "hex", "frontier", "--train-test-nodes", "8,x" }, "--train-test-nodes must be none or counts")]
    [InlineData(new[] { "hex", "frontier", "--reference-games", "1" }, "--reference-games must be 2 to 100000")]
    [InlineData(new[] { "hex", "frontier", "--pairing-games", "0" }, "--pairing-games must be 2 to 100000")]
    [InlineData(new[] { "hex", "frontier", "--plot", "/no/such/parent/figs" }, "its parent folder does not exist")]
    public void BadInput_OneLineExit2(string[] args, string reason)
    {
        var (code, _, err) = FitCli.Run(args);
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(reason, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void Frontier_RegistryWithoutItsCheckpointFolder_OneLineExit2NamingTheFolder()
    {
        // Given: a hex study enqueued in a registry whose folder has no scalelab-checkpoints (as for a registry copied
        // elsewhere without it, or never trained).
        ScaleLab.Lab.Execution.RunKinds.Register(new ScaleLab.Games.Training.HexRunKind());
        var registry = "sqlite:" + Path.Combine(_dir, "copy.db");
        using (var store = ScaleLab.Lab.Registry.RunStores.Open(registry))
        {
            ScaleLab.Games.Study.HexStudy.Enqueue(store, new ScaleLab.Games.Study.HexStudyPlan("micro", [3], [(4, 1)], [1], Generations: 2, Games: 4, Nodes: 4, TestNodes: 1, ReferenceGames: 4));
        }

        // When
        var (code, output, err) = FitCli.Run("hex", "frontier", "--study", "micro", "--registry", registry, "--json");

        // Then: one line naming the folder it looked in, no JSON (before: exit 0 with an empty fit)
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("has a checkpoint under " + Path.Combine(_dir, "scalelab-checkpoints"), err);
        Assert.Equal("", output);
    }

    [Fact]
    public void FrontierSettings_Overrides_ReplaceOnlyWhatWasGiven()
    {
        // Given the full plan and settings that set the test nodes, the train-test counts and the games
        var plan = ScaleLab.Games.Study.HexStudyPlan.Full("s", [3, 4]);
        var settings = new HexFrontierCommand.Settings { TestNodes = 1, TrainTestNodes = "64, 8,8", ReferenceGames = 256, PairingGames = 128 };
        // When applied
        var applied = settings.Apply(plan);
        // Then those change (the list sorted, without repeats) and the rest is the plan's
        Assert.Equal(1, applied.TestNodes);
        Assert.Equal([8, 64], applied.TrainTestNodes);
        Assert.Equal(256, applied.ReferenceGames);
        Assert.Equal(3L * 6 * 128, applied.PairingBudget);
        Assert.Equal(plan.Generations, applied.Generations);
        Assert.Empty(new HexFrontierCommand.Settings { TrainTestNodes = "none" }.Apply(plan).TrainTestNodes);
        Assert.Equal(plan, new HexFrontierCommand.Settings().Apply(plan) with { TrainTestNodes = plan.TrainTestNodes });
    }

    [Fact]
    public void Eval_CorruptAgentOrWrongBoard_OneLineExit2()
    {
        // Given a corrupt agent file and a valid 3x3 one
        var agent = TrainTiny();
        var corrupt = Path.Combine(_dir, "bad.agent");
        var bytes = File.ReadAllBytes(agent);
        bytes[^40] ^= 0xFF;
        File.WriteAllBytes(corrupt, bytes);
        var (code, _, err) = FitCli.Run("hex", "eval", corrupt);
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("checksum", err);
        // And a 4x4 opponent against a 3x3 agent is refused
        var four = Path.Combine(_dir, "four.agent");
        Assert.Equal(CliApp.ExitOk, FitCli.Run("hex", "train", "--board", "4", "--width", "4", "--generations", "1", "--games", "2", "--nodes", "2", "--out", four).Code);
        var (code2, _, err2) = FitCli.Run("hex", "eval", agent, "--against", four);
        Assert.Equal(CliApp.ExitUsage, code2);
        Assert.Contains("agent for 4x4 Hex, not 3x3", err2);
    }
}
