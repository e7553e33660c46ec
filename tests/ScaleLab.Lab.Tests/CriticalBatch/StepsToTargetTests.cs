using ScaleLab.Lab.Studies.CriticalBatch;

namespace ScaleLab.Lab.Tests.CriticalBatch;

public sealed class StepsToTargetTests
{
    private static readonly LossPoint[] Curve = [new(0, 5.0), new(100, 4.0), new(200, 3.0), new(300, 2.5)];

    [Fact]
    public void Find_TargetBetweenPoints_InterpolatesLinearlyInStep()
    {
        // 3.5 is halfway from 4.0 (step 100) to 3.0 (step 200)
        Assert.Equal(150.0, StepsToTarget.Find(Curve, 3.5));
    }

    [Fact]
    public void Find_TargetOnAPoint_ReturnsThatStep()
    {
        Assert.Equal(200.0, StepsToTarget.Find(Curve, 3.0));
    }

    [Fact]
    public void Find_TargetNeverReached_ReturnsNull()
    {
        Assert.Null(StepsToTarget.Find(Curve, 2.0));
    }

    [Fact]
    public void Find_StepsNotIncreasing_Throws()
    {
        Assert.Throws<ArgumentException>(() => StepsToTarget.Find([new(0, 5.0), new(0, 4.0)], 4.5));
    }
}
