using ScaleLab.Games.Agent;
using ScaleLab.Games.Training;
using ScaleLab.Laws;
using ScaleLab.Laws.Games;
using Xunit.Abstractions;

namespace ScaleLab.Games.Tests.Study;

/// <summary>
/// Whether the snapshot schedule puts enough points on the random-play plateau for the change-point fit to identify it
/// (<see cref="FrontierFitter"/>: at least 3 frontier points on each of two boards). Synthetic: the full plan's runs
/// (boards 3-5, 4 sizes, 128 generations of 64 games at 32 nodes), each snapshot at the Jones compute the schedule
/// gives it (parameters × nodes × moves × games so far) and an Elo drawn from a planted frontier whose incline leaves
/// random play just after the smallest network's first generation (as measured on the boards 3-5 study: untrained
/// networks rate at random play, first-generation snapshots already above it), with 45 Elo of rating noise (the
/// study's median 95% interval of about 90 Elo per snapshot at 256 games).
/// </summary>
public class EarlyPlateauTests(ITestOutputHelper output)
{
    private static readonly (int Width, int Depth)[] Sizes = [(4, 1), (8, 1), (16, 1), (32, 2)];

    /// <summary>log10 Jones compute of every snapshot of the plan's runs on a board, by run.</summary>
    internal static IEnumerable<(string Run, double X)> Snapshots(int board, int early)
    {
        foreach (var (w, d) in Sizes)
        {
            var config = new HexTrainConfig("t", board, w, d, 1, 128, Games: 64, Nodes: 32, EarlySnapshots: early);
            var perGame = (double)config.Shape.ParameterCount * config.Nodes * 0.6 * board * board;
            var games = 0L;
            var snaps = config.SnapshotGenerations().ToHashSet();
            for (long s = 1; s <= config.Steps; s++)
            {
                games += config.GamesAt(s);
                if (snaps.Contains(s)) yield return ($"{board}/{w}x{d}", Math.Log10(perGame * games));
            }
        }
    }

    /// <summary>The planted frontier: 300 Elo per decade, random play at −20·n − 590 Elo, the incline leaving it at the
    /// compute of the smallest network's first generation on boards 3 and 5 (linear in n between).</summary>
    internal static ChangePointFrontier Planted()
    {
        double Exit(int n) => Snapshots(n, 0).First().X;
        const double slope = 300, mp = -20, cp = -590;
        // Incline through (Exit(n), plateau(n)) on n = 3 and 5: m_f·x + m_n·n + c_i = m_p·n + c_p.
        double a3 = mp * 3 + cp - slope * Exit(3), a5 = mp * 5 + cp - slope * Exit(5);
        var mn = (a5 - a3) / 2;
        return new ChangePointFrontier(slope, mn, a3 - mn * 3, mp, cp);
    }

    internal static int Identified(int early, int seeds, ITestOutputHelper? log)
    {
        var truth = Planted();
        var identified = 0;
        for (var seed = 0; seed < seeds; seed++)
        {
            var rng = SplitMix64.Stream((ulong)seed, 7);
            var points = new List<EloPoint>();
            var runOf = new Dictionary<string, string>();
            foreach (var n in new[] { 3, 4, 5 })
            {
                foreach (var (run, x) in Snapshots(n, early))
                {
                    var name = $"{run}@{points.Count}";
                    runOf[name] = run;
                    points.Add(new EloPoint(x, n, truth.Predict(x, n) + 45 * rng.NextGaussian(), name));
                }
            }
            var fit = FrontierFitter.Fit(points, new FrontierFitOptions { Bootstrap = 0, GroupOf = p => runOf[p.Agent!] });
            if (fit.BeatRandomMultiplier is not null) identified++;
            log?.WriteLine($"early {early}, seed {seed}: plateau points {fit.PlateauPoints}, incline {fit.InclinePoints}, ceiling {fit.CeilingPoints}, identified {fit.BeatRandomMultiplier is not null}");
        }
        return identified;
    }

    [Fact]
    public void Schedule_FourEarlySnapshots_IdentifyThePlateauWhereTheOldScheduleDoesNot()
    {
        // Given 20 noisy synthetic studies of the full plan's runs, with 4 snapshots inside the first generation (the
        // plans' setting: 3 identified the plateau in 12 of these 20, 4 and 5 in 16: the frontier keeps only the noisy
        // plateau points that beat every point of smaller compute, so its plateau points grow slowly with the raw ones)
        // and without
        var with = Identified(4, 20, output);
        var without = Identified(0, 20, output);
        output.WriteLine($"plateau identified: {with}/20 with early snapshots, {without}/20 without");
        // Then the early snapshots identify the random-play plateau in most studies, and the old schedule (negative
        // control: at most one snapshot per run, its first generation, near the plateau) in few
        Assert.True(with >= 14, $"{with}/20 with early snapshots");
        Assert.True(without <= 3, $"{without}/20 without");
    }
}
