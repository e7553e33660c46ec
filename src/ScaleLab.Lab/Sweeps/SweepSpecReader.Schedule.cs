namespace ScaleLab.Lab.Sweeps;

/// <summary>The [schedule] choices of <see cref="SweepSpecReader"/> that are names, not numbers: the optimizer and
/// the learning-rate schedule.</summary>
public sealed partial class SweepSpecReader
{
    /// <summary>[schedule] optimizer and momentum: (null, null) for AdamW, written or not, so an AdamW spec's run keys are
    /// those of a spec without the key; ("sgd", μ) for SGD. Momentum without SGD is a mistake, not a no-op.</summary>
    private (string? Optimizer, double? Momentum) ReadOptimizer(TomlTable schedule)
    {
        var name = String(schedule, "optimizer", required: false);
        if (name is not null and not "adamw" and not RunSpec.Sgd)
        {
            throw Error(schedule.LineOf("optimizer"), "schedule.optimizer", $"must be \"adamw\" or \"sgd\", got \"{name}\"");
        }
        if (name != RunSpec.Sgd)
        {
            if (schedule.Get("momentum") is not null)
            {
                throw Error(schedule.LineOf("momentum"), "schedule.momentum", "is SGD's; give optimizer = \"sgd\" or drop it");
            }
            return (null, null);
        }
        var momentum = Number(schedule, "momentum", new ScaleLab.Engine.Training.SgdOptions().Momentum, 0, 1, upperOpen: true, "schedule.");
        return (RunSpec.Sgd, momentum);
    }

    /// <summary>[schedule] lr_schedule: true for "constant" (then warmup and floor keys are refused: they would be
    /// ignored), false for "cosine" or no key.</summary>
    private bool ReadConstantRate(TomlTable schedule)
    {
        var name = String(schedule, "lr_schedule", required: false);
        if (name is null or "cosine")
        {
            return false;
        }
        if (name != "constant")
        {
            throw Error(schedule.LineOf("lr_schedule"), "schedule.lr_schedule", $"must be \"cosine\" or \"constant\", got \"{name}\"");
        }
        foreach (var key in (string[])["warmup_steps", "warmup_fraction", "min_lr_fraction"])
        {
            if (schedule.Get(key) is not null)
            {
                throw Error(schedule.LineOf(key), "schedule." + key, "a constant rate has no warmup and no decay; drop it or use lr_schedule = \"cosine\"");
            }
        }
        return true;
    }
}
