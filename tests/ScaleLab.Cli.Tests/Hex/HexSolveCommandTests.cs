using System.Text.Json;

namespace ScaleLab.Cli.Tests.Hex;

public class HexSolveCommandTests
{
    [Fact]
    public void Execute_Board4Json_ListsTheShortDiagonal()
    {
        // When
        var (code, output, err) = FitCli.Run("hex", "solve", "--board", "4", "--json");
        // Then: 4x4's winning openings are the four cells of the short diagonal (a known result)
        Assert.True(code == CliApp.ExitOk, err);
        using var doc = JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("first_player_wins").GetBoolean());
        var moves = doc.RootElement.GetProperty("winning_first_moves").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(["d1", "c2", "b3", "a4"], moves);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("6")]
    public void Execute_BoardOutOfRange_OneLineExit2(string n)
    {
        var (code, _, err) = FitCli.Run("hex", "solve", "--board", n);
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("--board must be 3 to 5", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
