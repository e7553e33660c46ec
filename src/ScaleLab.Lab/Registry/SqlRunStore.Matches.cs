using System.Data;
using System.Data.Common;

namespace ScaleLab.Lab.Registry;

/// <summary>What run kinds add to the registry: named per-step metrics (run_metrics) and pairwise match results.</summary>
public abstract partial class SqlRunStore
{
    /// <summary>The kind name stored as NULL, so a registry's language-model runs read the same before and after
    /// run kinds.</summary>
    private const string LanguageModelKind = "lm";

    public void AppendRunMetrics(string runKey, IReadOnlyList<RunMetric> metrics)
    {
        if (metrics.Count == 0)
        {
            return;
        }
        using var connection = Open();
        using var transaction = BeginWrite(connection);
        using var command = Command(connection, transaction,
            "INSERT INTO run_metrics (run_key, step, name, value) VALUES (@key, @step, @name, @value) " +
            "ON CONFLICT (run_key, step, name) DO UPDATE SET value = excluded.value",
            ("key", runKey), ("step", 0L), ("name", ""), ("value", (double?)0.0));
        foreach (var metric in metrics)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(metric.Name);
            command.Parameters["step"].Value = metric.Step;
            command.Parameters["name"].Value = metric.Name;
            command.Parameters["value"].Value = DbDouble(metric.Value);
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public IReadOnlyList<RunMetric> ReadRunMetrics(string runKey)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "SELECT step, name, value FROM run_metrics WHERE run_key = @key ORDER BY step, name", ("key", runKey));
        using var reader = command.ExecuteReader();
        var metrics = new List<RunMetric>();
        while (reader.Read())
        {
            metrics.Add(new RunMetric(GetLong(reader, 0), reader.GetString(1), reader.IsDBNull(2) ? double.NaN : reader.GetDouble(2)));
        }
        // Ordinal name order on both back ends (PostgreSQL's ORDER BY follows the database collation).
        return metrics.OrderBy(m => m.Step).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
    }

    public void RecordMatches(MatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.SameAgent)
        {
            throw new ArgumentException($"a match needs two different agents, got run {result.RunA} at snapshot {result.SnapshotA} twice");
        }
        if (result.Wins < 0 || result.Losses < 0 || result.Draws < 0)
        {
            throw new ArgumentException($"match counts must be non-negative, got {result.Wins}/{result.Losses}/{result.Draws}");
        }
        if (result.AFirst is { } f && (f.Wins < 0 || f.Losses < 0 || f.Draws < 0 || f.Wins > result.Wins || f.Losses > result.Losses || f.Draws > result.Draws))
        {
            throw new ArgumentException(
                $"first-move counts {f.Wins}/{f.Losses}/{f.Draws} must be non-negative and within the match's {result.Wins}/{result.Losses}/{result.Draws}");
        }
        var m = result.Canonical();
        object First(Func<FirstMoveCounts, long> part) => m.AFirst is { } c ? part(c) : DBNull.Value;
        // A row's first-move counts add up while every report into it carried colours; one report without them makes
        // the row's colours unknown (NULL) from then on.
        static string Sum(string column) =>
            $"{column} = CASE WHEN matches.{column} IS NULL OR excluded.{column} IS NULL THEN NULL ELSE matches.{column} + excluded.{column} END";
        using var connection = Open();
        Execute(connection, null,
            "INSERT INTO matches (run_a, snapshot_a, run_b, snapshot_b, wins, losses, draws, updated_ms, first_wins, first_losses, first_draws) " +
            "VALUES (@a, @snapshot_a, @b, @snapshot_b, @w, @l, @d, @now, @fw, @fl, @fd) " +
            "ON CONFLICT (run_a, snapshot_a, run_b, snapshot_b) DO UPDATE SET wins = matches.wins + excluded.wins, " +
            "losses = matches.losses + excluded.losses, draws = matches.draws + excluded.draws, updated_ms = excluded.updated_ms, " +
            $"{Sum("first_wins")}, {Sum("first_losses")}, {Sum("first_draws")}",
            ("a", m.RunA), ("snapshot_a", m.SnapshotA), ("b", m.RunB), ("snapshot_b", m.SnapshotB), ("w", m.Wins), ("l", m.Losses),
            ("d", m.Draws), ("now", NowMs()), ("fw", First(c => c.Wins)), ("fl", First(c => c.Losses)), ("fd", First(c => c.Draws)));
    }

    public IReadOnlyList<MatchResult> ReadMatches(string study)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "SELECT m.run_a, m.snapshot_a, m.run_b, m.snapshot_b, m.wins, m.losses, m.draws, m.first_wins, m.first_losses, m.first_draws " +
            "FROM matches m JOIN runs r ON r.run_key = m.run_a " +
            "WHERE r.study = @study", ("study", study));
        using var reader = command.ExecuteReader();
        var results = new List<MatchResult>();
        while (reader.Read())
        {
            var colours = reader.IsDBNull(7) || reader.IsDBNull(8) || reader.IsDBNull(9)
                ? null
                : new FirstMoveCounts(GetLong(reader, 7), GetLong(reader, 8), GetLong(reader, 9));
            results.Add(new MatchResult(reader.GetString(0), GetLong(reader, 1), reader.GetString(2), GetLong(reader, 3), GetLong(reader, 4),
                GetLong(reader, 5), GetLong(reader, 6)) { AFirst = colours });
        }
        return results.OrderBy(r => r.RunA, StringComparer.Ordinal).ThenBy(r => r.RunB, StringComparer.Ordinal)
            .ThenBy(r => r.SnapshotA).ThenBy(r => r.SnapshotB).ToList();
    }
}
