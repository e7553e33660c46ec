namespace ScaleLab.Engine.Training;

/// <summary>
/// Linear warmup then cosine decay to a floor (the GPT-3 / Chinchilla schedule; Hoffmann et al. 2022
/// decay the cosine over the run's own length, which is what a scaling study needs). For step s = 0, 1, …,
/// S−1 with W warmup steps, peak η and floor η_min = minFraction·η:
///   s &lt; W:  η·(s+1)/W                                    (reaches η at s = W−1)
///   s ≥ W:  η_min + ½(η − η_min)(1 + cos(π·r)),  r = (s − W)/(S − 1 − W) clamped to [0, 1]
/// so the step after warmup runs at η and the last step at η_min.
/// </summary>
public sealed record LearningRateSchedule(double PeakLearningRate, int WarmupSteps, long TotalSteps, double MinFraction = 0.1)
{
    public double MinLearningRate => PeakLearningRate * MinFraction;

    public void Validate()
    {
        if (!(PeakLearningRate > 0) || double.IsInfinity(PeakLearningRate))
        {
            throw new ArgumentException($"learning rate {PeakLearningRate} must be a positive number");
        }
        if (WarmupSteps < 0 || TotalSteps <= 0)
        {
            throw new ArgumentException($"warmup {WarmupSteps} must be ≥ 0 and total steps {TotalSteps} > 0");
        }
        if (MinFraction is < 0 or > 1 || double.IsNaN(MinFraction))
        {
            throw new ArgumentException($"min lr fraction {MinFraction} must be in [0, 1]");
        }
    }

    /// <summary>Learning rate for (0-based) step <paramref name="step"/>.</summary>
    public double At(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
        {
            return PeakLearningRate * (step + 1) / WarmupSteps;
        }
        var span = TotalSteps - 1 - WarmupSteps;
        var r = span <= 0 ? 1.0 : Math.Clamp((double)(step - WarmupSteps) / span, 0, 1);
        if (span <= 0 && step == WarmupSteps)
        {
            r = 0; // a run with no decay phase takes its one post-warmup step at the peak
        }
        return MinLearningRate + 0.5 * (PeakLearningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * r));
    }
}
