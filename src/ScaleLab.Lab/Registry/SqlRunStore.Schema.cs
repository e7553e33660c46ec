using System.Data;
using System.Data.Common;

namespace ScaleLab.Lab.Registry;

/// <summary>The registry's tables: version 1 as created, and the in-place upgrades to <see cref="SqlRunStore.SchemaVersion"/>.</summary>
public abstract partial class SqlRunStore
{
    /// <summary>The tables of schema version 1, shared by both back ends (DOUBLE PRECISION and BIGINT are
    /// valid SQLite type names with REAL and INTEGER affinity). Metric losses are nullable because SQLite
    /// stores NaN as NULL. A new registry is created at version 1 and brought to <see cref="SchemaVersion"/>
    /// by the same <see cref="Upgrades"/> an old registry goes through, so both end with the same tables.</summary>
    protected static readonly string[] SchemaStatements =
    [
        "CREATE TABLE IF NOT EXISTS scalelab_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS studies (name TEXT PRIMARY KEY, spec TEXT, created_ms BIGINT NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS runs (
            run_key TEXT PRIMARY KEY,
            study TEXT NOT NULL REFERENCES studies(name),
            ordinal INTEGER NOT NULL,
            config TEXT NOT NULL,
            seed BIGINT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
            params_total BIGINT NOT NULL,
            params_non_embedding BIGINT NOT NULL,
            tokens BIGINT NOT NULL,
            flops DOUBLE PRECISION NOT NULL,
            created_ms BIGINT NOT NULL,
            started_ms BIGINT,
            finished_ms BIGINT,
            worker TEXT,
            heartbeat_ms BIGINT,
            attempts INTEGER NOT NULL DEFAULT 0,
            final_loss DOUBLE PRECISION,
            error TEXT)
        """,
        "CREATE INDEX IF NOT EXISTS runs_study_status ON runs (study, status, ordinal)",
        """
        CREATE TABLE IF NOT EXISTS metrics (
            run_key TEXT NOT NULL REFERENCES runs(run_key),
            step BIGINT NOT NULL,
            tokens BIGINT NOT NULL,
            train_loss DOUBLE PRECISION,
            val_loss DOUBLE PRECISION,
            lr DOUBLE PRECISION NOT NULL,
            grad_norm DOUBLE PRECISION,
            PRIMARY KEY (run_key, step))
        """,
        """
        CREATE TABLE IF NOT EXISTS artifacts (
            run_key TEXT NOT NULL REFERENCES runs(run_key),
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            PRIMARY KEY (run_key, kind, path))
        """,
    ];

    /// <summary>
    /// The steps from one schema version to the next, in order: <c>Upgrades[i]</c> takes version i + 1 to
    /// i + 2. Each only adds (nullable columns, tables), so a registry upgraded while no worker of an older
    /// scalelab is writing loses nothing; an older scalelab then refuses the newer registry instead of
    /// writing rows without the new columns.
    /// </summary>
    protected static readonly string[][] Upgrades =
    [
        // 1 → 2: per-step gradient noise scale (raw two-batch estimates and the ratio of their EMAs).
        [
            "ALTER TABLE metrics ADD COLUMN gns_grad_norm_sq DOUBLE PRECISION",
            "ALTER TABLE metrics ADD COLUMN gns_trace_cov DOUBLE PRECISION",
            "ALTER TABLE metrics ADD COLUMN b_simple DOUBLE PRECISION",
        ],
        // 2 → 3: the kind of each run (NULL: a language-model run, as every run before kinds), any kind's named
        // per-step metrics, and pairwise match results between runs (agents of one study playing each other).
        [
            "ALTER TABLE runs ADD COLUMN kind TEXT",
            """
            CREATE TABLE IF NOT EXISTS run_metrics (
                run_key TEXT NOT NULL REFERENCES runs(run_key),
                step BIGINT NOT NULL,
                name TEXT NOT NULL,
                value DOUBLE PRECISION,
                PRIMARY KEY (run_key, step, name))
            """,
            """
            CREATE TABLE IF NOT EXISTS matches (
                run_a TEXT NOT NULL REFERENCES runs(run_key),
                run_b TEXT NOT NULL REFERENCES runs(run_key),
                snapshot BIGINT NOT NULL,
                wins BIGINT NOT NULL,
                losses BIGINT NOT NULL,
                draws BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL,
                PRIMARY KEY (run_a, run_b, snapshot),
                CHECK (run_a < run_b))
            """,
        ],
        // 3 → 4: a snapshot per side of a match (run A at snapshot i against run B at snapshot j, or one run against its
        // earlier self), so the key changes: the table is rebuilt, each old row (one snapshot for both sides) copied
        // with that snapshot on both sides. A scalelab of schema 3 refuses the upgraded registry, so none writes the old shape.
        [
            """
            CREATE TABLE matches_v4 (
                run_a TEXT NOT NULL REFERENCES runs(run_key),
                snapshot_a BIGINT NOT NULL,
                run_b TEXT NOT NULL REFERENCES runs(run_key),
                snapshot_b BIGINT NOT NULL,
                wins BIGINT NOT NULL,
                losses BIGINT NOT NULL,
                draws BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL,
                PRIMARY KEY (run_a, snapshot_a, run_b, snapshot_b),
                CHECK (run_a < run_b OR (run_a = run_b AND snapshot_a < snapshot_b)))
            """,
            "INSERT INTO matches_v4 (run_a, snapshot_a, run_b, snapshot_b, wins, losses, draws, updated_ms) " +
                "SELECT run_a, snapshot, run_b, snapshot, wins, losses, draws, updated_ms FROM matches",
            "DROP TABLE matches",
            "ALTER TABLE matches_v4 RENAME TO matches",
        ],
        // 4 → 5: which agent had the first move: A's wins, losses and draws in the games where A moved first (the rest
        // are B's first-move games). NULL in every earlier row: their colours were not recorded, and they read as such.
        [
            "ALTER TABLE matches ADD COLUMN first_wins BIGINT",
            "ALTER TABLE matches ADD COLUMN first_losses BIGINT",
            "ALTER TABLE matches ADD COLUMN first_draws BIGINT",
        ],
    ];

    /// <summary>Inside the caller's write transaction (which holds the back end's schema lock): creates the
    /// tables of a new registry, or checks the version of an existing one and upgrades it in place when it is
    /// older. A newer version is refused before anything is written, and so is a version that is unreadable;
    /// a failed upgrade rolls back with the transaction, leaving the old version intact.</summary>
    protected void CreateOrCheckSchema(DbConnection connection, DbTransaction transaction, bool hasMeta)
    {
        int version;
        if (hasMeta)
        {
            var text = Scalar(connection, transaction, "SELECT value FROM scalelab_meta WHERE name = 'schema_version'");
            if (text is null || !int.TryParse(Convert.ToString(text, System.Globalization.CultureInfo.InvariantCulture), out version) || version < 1)
            {
                throw new InvalidDataException($"{Location}: registry has no readable schema version; not a ScaleLab registry");
            }
            if (version > SchemaVersion)
            {
                throw new InvalidDataException(
                    $"{Location}: registry schema version {version} is newer than this scalelab supports ({SchemaVersion}); upgrade scalelab");
            }
        }
        else
        {
            foreach (var statement in SchemaStatements)
            {
                Execute(connection, transaction, statement);
            }
            Execute(connection, transaction, "INSERT INTO scalelab_meta (name, value) VALUES ('schema_version', '1')");
            version = 1;
        }
        if (version == SchemaVersion)
        {
            return;
        }
        for (var v = version; v < SchemaVersion; v++)
        {
            foreach (var statement in Upgrades[v - 1])
            {
                Execute(connection, transaction, statement);
            }
        }
        Execute(connection, transaction, "UPDATE scalelab_meta SET value = @v WHERE name = 'schema_version'",
            ("v", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
