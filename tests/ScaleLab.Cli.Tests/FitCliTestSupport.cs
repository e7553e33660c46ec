using System.Globalization;
using System.Text;
using ScaleLab.Cli;
using Spectre.Console.Testing;

namespace ScaleLab.Cli.Tests;

/// <summary>Runs the CLI in-process and writes small CSV files for the fit, backtest and plan verbs.</summary>
internal static class FitCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 200;
        var stderr = new StringWriter();
        var code = CliApp.Run(args, console, stderr);
        return (code, console.Output, stderr.ToString());
    }

    public static void AssertOneLineError((int Code, string Out, string Err) result, int code, string expected)
    {
        Assert.True(code == result.Code, $"exit {result.Code}, stderr: {result.Err}");
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    /// <summary>L = 1.7 + 30·C^-0.07 with 1% seeded noise at <paramref name="count"/> log-spaced budgets (columns C, loss).</summary>
    public static string PowerLawCsv(string dir, int count, string name = "power.csv")
    {
        var rng = new Random(1);
        var sb = new StringBuilder("C,loss\n");
        for (int i = 0; i < count; i++)
        {
            double c = 1e17 * Math.Pow(1e6, i / (double)(count - 1));
            double z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            double loss = (1.7 + 30 * Math.Pow(c, -0.07)) * Math.Exp(0.01 * z);
            sb.Append(CultureInfo.InvariantCulture, $"{c:R},{loss:R}\n");
        }
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    public static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
