using System.Globalization;

namespace ScaleLab.Laws;

/// <summary>The inputs a law reads from a data set (the loss column Y is always read).</summary>
[Flags]
public enum LawInputs
{
    None = 0,
    /// <summary>Parameters N.</summary>
    N = 1,
    /// <summary>Training tokens D.</summary>
    D = 2,
    /// <summary>Training compute C (FLOP).</summary>
    C = 4,
    /// <summary>A linear axis t (e.g. year) for the exponential trend.</summary>
    T = 8,
}

/// <summary>Column names chosen by the user (<c>--n --d --c --y --t</c>); null means "detect".</summary>
public sealed record ColumnSelection(string? N = null, string? D = null, string? C = null, string? Y = null, string? T = null)
{
    /// <summary>Header names tried, case-insensitively and in this order, when a column is not given.</summary>
    public static IReadOnlyList<string> DefaultN { get; } = ["N", "params", "parameters", "Model Size", "model_size", "n_params", "num_params"];
    public static IReadOnlyList<string> DefaultD { get; } = ["D", "tokens", "Training Tokens", "training_tokens", "n_tokens", "data"];
    public static IReadOnlyList<string> DefaultC { get; } = ["C", "compute", "Training FLOP", "training_flop", "flop", "flops", "Training compute (FLOP)"];
    public static IReadOnlyList<string> DefaultY { get; } = ["loss", "y", "L", "final_loss", "eval_loss", "val_loss"];
    public static IReadOnlyList<string> DefaultT { get; } = ["t", "year", "time", "date"];
}

/// <summary>
/// Points (N, D, C, t, loss) for a law fit, as plain arrays of equal length. Arrays absent from the data
/// are null. D = C/(6N) or C = 6ND is derived when only two of the three are present (C = 6ND is the
/// usual transformer training-FLOP estimate, Kaplan et al. 2020 §2.1); <see cref="Notes"/> says so.
/// </summary>
public sealed class ScalingDataset
{
    public string Source { get; }
    public double[]? N { get; }
    public double[]? D { get; }
    public double[]? C { get; }
    public double[]? T { get; }
    public double[] Y { get; }
    /// <summary>1-based data row in the source file of each point (after any subsetting).</summary>
    public int[] Rows { get; }
    public IReadOnlyList<string> Notes { get; }
    public int Count => Y.Length;

    public ScalingDataset(string source, double[] y, double[]? n = null, double[]? d = null, double[]? c = null,
        double[]? t = null, int[]? rows = null, IReadOnlyList<string>? notes = null)
    {
        Source = source;
        Y = y;
        foreach (var a in new[] { n, d, c, t })
        {
            if (a is not null && a.Length != y.Length)
            {
                throw new ArgumentException($"{source}: column lengths differ ({a.Length} vs {y.Length})");
            }
        }
        var derived = new List<string>(notes ?? []);
        if (d is null && n is not null && c is not null)
        {
            d = new double[y.Length];
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = c[i] / (6 * n[i]);
            }
            derived.Add("D derived as C/(6N)");
        }
        else if (c is null && n is not null && d is not null)
        {
            c = new double[y.Length];
            for (int i = 0; i < c.Length; i++)
            {
                c[i] = 6 * n[i] * d[i];
            }
            derived.Add("C derived as 6ND");
        }
        N = n;
        D = d;
        C = c;
        T = t;
        Rows = rows ?? Enumerable.Range(1, y.Length).ToArray();
        Notes = derived;
    }

    /// <summary>The column for one input, or null.</summary>
    public double[]? Column(LawInputs input) => input switch
    {
        LawInputs.N => N,
        LawInputs.D => D,
        LawInputs.C => C,
        LawInputs.T => T,
        _ => throw new ArgumentOutOfRangeException(nameof(input)),
    };

    /// <summary>
    /// The scale used to pick "the largest runs" for back-tests: C when known, else N, else D, else t.
    /// </summary>
    public double[] ScaleKey() => C ?? N ?? D ?? T ?? Y;

    /// <summary>A data set of the points at <paramref name="indices"/> (in that order).</summary>
    public ScalingDataset Subset(IReadOnlyList<int> indices)
    {
        double[]? Pick(double[]? a) => a is null ? null : indices.Select(i => a[i]).ToArray();
        return new ScalingDataset(Source, Pick(Y)!, Pick(N), Pick(D), Pick(C), Pick(T),
            indices.Select(i => Rows[i]).ToArray(), Notes);
    }

    /// <summary>Drops the <paramref name="k"/> points with the highest loss (Besiroglu et al. 2024 drop 5).</summary>
    public ScalingDataset DropHighestLoss(int k)
    {
        if (k <= 0)
        {
            return this;
        }
        var keep = Enumerable.Range(0, Count).OrderBy(i => Y[i]).ThenBy(i => i).Take(Math.Max(0, Count - k))
            .Order().ToArray();
        var s = Subset(keep);
        return new ScalingDataset(Source, s.Y, s.N, s.D, s.C, s.T, s.Rows,
            [.. Notes, $"dropped the {Math.Min(k, Count)} highest-loss points"]);
    }

    /// <summary>
    /// Loads a CSV with a header. <paramref name="need"/> lists the inputs the law reads; those columns (and
    /// the loss) must exist, parse as finite numbers and be positive where a logarithm is taken (N, D, C, loss).
    /// Errors are one-line <see cref="InvalidDataException"/>s naming the file, the data row and the column.
    /// </summary>
    public static ScalingDataset Load(string path, ColumnSelection? columns = null, LawInputs need = LawInputs.None)
    {
        columns ??= new ColumnSelection();
        var table = CsvDocument.Load(path);
        int Find(string? given, IReadOnlyList<string> defaults, string what)
        {
            if (given is null)
            {
                return table.FindColumn(defaults);
            }
            int j = table.FindColumn([given]);
            if (j < 0)
            {
                throw new InvalidDataException(
                    $"{table.Source}: no column '{given}' for {what} (header: {string.Join(", ", table.Header)})");
            }
            return j;
        }
        int jn = Find(columns.N, ColumnSelection.DefaultN, "N");
        int jd = Find(columns.D, ColumnSelection.DefaultD, "D");
        int jc = Find(columns.C, ColumnSelection.DefaultC, "C");
        int jy = Find(columns.Y, ColumnSelection.DefaultY, "the loss");
        int jt = Find(columns.T, ColumnSelection.DefaultT, "t");
        if (jy < 0)
        {
            throw new InvalidDataException(
                $"{table.Source}: no loss column (tried {string.Join(", ", ColumnSelection.DefaultY)}; give --y COL; header: {string.Join(", ", table.Header)})");
        }

        // Which columns must be read: the needed inputs, plus the two sources of a derived one.
        bool hasN = jn >= 0, hasD = jd >= 0, hasC = jc >= 0;
        bool readN = hasN && (need.HasFlag(LawInputs.N) || (need.HasFlag(LawInputs.D) && !hasD && hasC) || (need.HasFlag(LawInputs.C) && !hasC && hasD));
        bool readD = hasD && (need.HasFlag(LawInputs.D) || (need.HasFlag(LawInputs.C) && !hasC));
        bool readC = hasC && (need.HasFlag(LawInputs.C) || (need.HasFlag(LawInputs.D) && !hasD));
        bool readT = jt >= 0 && need.HasFlag(LawInputs.T);
        Require(LawInputs.N, hasN, "N (parameters)", "--n COL");
        Require(LawInputs.D, hasD || (hasN && hasC), "D (tokens)", "--d COL, or --n and --c to derive D = C/(6N)");
        Require(LawInputs.C, hasC || (hasN && hasD), "C (compute)", "--c COL, or --n and --d to derive C = 6ND");
        Require(LawInputs.T, jt >= 0, "t", "--t COL");

        var y = Parse(table, jy, positive: true);
        var ds = new ScalingDataset(table.Source, y,
            readN ? Parse(table, jn, true) : null,
            readD ? Parse(table, jd, true) : null,
            readC ? Parse(table, jc, true) : null,
            readT ? Parse(table, jt, false) : null);
        if (ds.Count == 0)
        {
            throw new InvalidDataException($"{table.Source}: no data rows");
        }
        return ds;

        void Require(LawInputs input, bool ok, string what, string hint)
        {
            if (need.HasFlag(input) && !ok)
            {
                throw new InvalidDataException(
                    $"{table.Source}: no column for {what}: give {hint} (header: {string.Join(", ", table.Header)})");
            }
        }
    }

    private static double[] Parse(CsvDocument table, int column, bool positive)
    {
        var values = new double[table.Rows.Count];
        string name = table.Header[column];
        for (int r = 0; r < values.Length; r++)
        {
            string cell = table.Rows[r][column].Trim();
            string where = $"{table.Source}: data row {r + 1} (line {table.Lines[r]}), column '{name}'";
            if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                throw new InvalidDataException($"{where}: '{cell}' is not a number");
            }
            if (!double.IsFinite(v))
            {
                throw new InvalidDataException($"{where}: '{cell}' is not finite");
            }
            if (positive && v <= 0)
            {
                throw new InvalidDataException($"{where}: {cell} is not positive (its logarithm is taken)");
            }
            values[r] = v;
        }
        return values;
    }
}
