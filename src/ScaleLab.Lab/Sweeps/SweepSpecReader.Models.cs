using ScaleLab.Engine;

namespace ScaleLab.Lab.Sweeps;

/// <summary>The model shapes of a language-model spec (<see cref="SweepSpecReader"/>): a [[models]] list or a [grid],
/// each shape checked against the engine's configuration and listed once (or again only with disjoint compute).</summary>
public sealed partial class SweepSpecReader
{
    private List<ModelShape> Models(TomlTable root, int seqLen, List<ModelOverrides?> perModel)
    {
        var listed = root.Get("models");
        var grid = root.Get("grid");
        if ((listed is null) == (grid is null))
        {
            throw Error(listed is null ? 1 : root.LineOf("grid"), listed is null ? "models" : "grid",
                "give exactly one of 'models' (a list of shapes) and 'grid' (lists to combine)");
        }
        var shapes = new List<(ModelShape Shape, int Line, string Key)>();
        if (listed is not null)
        {
            if (listed is not TomlArray { Items.Count: > 0 } array)
            {
                throw Error(root.LineOf("models"), "models", "must be a non-empty list of tables with layers, d_model and heads");
            }
            for (var i = 0; i < array.Items.Count; i++)
            {
                var key = $"models[{i}]";
                if (array.Items[i] is not TomlTable table)
                {
                    throw Error(array.Items[i].Line, key, $"must be a table with layers, d_model and heads, got {array.Items[i].TypeName}");
                }
                CheckKeys(table, ModelKeys, key + ".");
                var shape = new ModelShape(
                    (int)Integer(table, "layers", required: true, min: 1, max: 4096, prefix: key + ".")!.Value,
                    (int)Integer(table, "d_model", required: true, min: 1, max: 1 << 16, prefix: key + ".")!.Value,
                    (int)Integer(table, "heads", required: true, min: 1, max: 1 << 16, prefix: key + ".")!.Value);
                shapes.Add((shape, table.LineOf("heads"), key));
                var ownCompute = table.Get("compute") is null ? null : NumberList(table, "compute", positive: true, prefix: key + ".");
                var ownRates = table.Get("learning_rates") is null ? null : NumberList(table, "learning_rates", positive: true, prefix: key + ".");
                perModel.Add(ownCompute is not null || ownRates is not null ? new ModelOverrides(ownCompute, ownRates) : null);
            }
        }
        else
        {
            if (grid is not TomlTable table)
            {
                throw Error(root.LineOf("grid"), "grid", $"must be a table ([grid]), got {grid!.TypeName}");
            }
            CheckKeys(table, ShapeKeys, "grid.");
            foreach (var key in ShapeKeys)
            {
                if (table.Get(key) is null)
                {
                    throw Error(table.Line, $"grid.{key}", "missing");
                }
            }
            var layers = IntegerList(table, "layers", min: 1, prefix: "grid.");
            var widths = IntegerList(table, "d_model", min: 1, prefix: "grid.");
            var heads = IntegerList(table, "heads", min: 1, prefix: "grid.");
            foreach (var l in layers)
            {
                foreach (var c in widths)
                {
                    foreach (var h in heads)
                    {
                        shapes.Add((new ModelShape((int)l, (int)c, (int)h), table.LineOf("heads"), "grid.heads"));
                    }
                }
            }
        }
        var seen = new Dictionary<ModelShape, (string Key, IReadOnlyList<double>? Compute)>();
        for (var i = 0; i < shapes.Count; i++)
        {
            var (shape, line, key) = shapes[i];
            var ownCompute = i < perModel.Count ? perModel[i]?.Compute : null;
            if (shape.DModel % shape.Heads != 0)
            {
                throw Error(line, key, $"heads {shape.Heads} does not divide d_model {shape.DModel}");
            }
            try
            {
                new GptConfig(shape.Layers, shape.DModel, shape.Heads, seqLen, SweepSpec.Vocab).Validate();
            }
            catch (ArgumentException ex)
            {
                throw Error(line, key, ex.Message);
            }
            // A shape may be listed again only with its own compute budgets, disjoint from its other entries' (so a
            // learning-rate check can run at one budget); anything else would run the same configuration twice.
            if (seen.TryGetValue(shape, out var earlier)
                && (ownCompute is null || earlier.Compute is null || ownCompute.Intersect(earlier.Compute).Any()))
            {
                throw Error(line, key, $"shape {shape.Layers}x{shape.DModel}x{shape.Heads} is listed twice (also {earlier.Key}) without disjoint 'compute' budgets");
            }
            seen[shape] = (key, earlier.Compute is null ? ownCompute : earlier.Compute.Concat(ownCompute ?? []).ToList());
        }
        return shapes.Select(s => s.Shape).ToList();
    }
}
