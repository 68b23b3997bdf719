using FluentAssertions;
using MLNetCnn.Training;

namespace MLNetCnn.Tests.Training;

public class LearningRatePlanTests
{
    [Fact]
    public void Warmup_RisesLinearlyToTheLearningRate()
    {
        var plan = new LearningRatePlan(new CnnTrainerOptions
        {
            Optimizer = new() { LearningRate = 0.1 },
            Schedule = new() { Kind = CnnLearningRateSchedule.Constant, WarmupEpochs = 1, Epochs = 5 },
        }, stepsPerEpoch: 10);

        plan.RateAt(0, 0).Should().BeApproximately(0.01, 1e-12);
        plan.RateAt(0, 4).Should().BeApproximately(0.05, 1e-12);
        plan.RateAt(0, 9).Should().BeApproximately(0.1, 1e-12);
        plan.RateAt(1, 0).Should().BeApproximately(0.1, 1e-12);
    }

    [Fact]
    public void Step_MultipliesByGammaEveryStepEpochs()
    {
        var plan = new LearningRatePlan(new CnnTrainerOptions
        {
            Optimizer = new() { LearningRate = 0.1 },
            Schedule = new() { WarmupEpochs = 0, Kind = CnnLearningRateSchedule.Step, StepEpochs = 2, StepGamma = 0.5, Epochs = 6 },
        }, 10);

        new[] { plan.RateAt(0, 5), plan.RateAt(1, 9), plan.RateAt(2, 0), plan.RateAt(5, 0) }.Should().Equal(0.1, 0.1, 0.05, 0.025);
    }

    [Fact]
    public void Cosine_FallsFromTheRateToZeroOverTheRun()
    {
        var plan = new LearningRatePlan(new CnnTrainerOptions
        {
            Optimizer = new() { LearningRate = 0.2 },
            Schedule = new() { WarmupEpochs = 0, Kind = CnnLearningRateSchedule.Cosine, Epochs = 4 },
        }, 10);

        plan.RateAt(0, 0).Should().BeApproximately(0.2, 1e-12);
        plan.RateAt(2, 0).Should().BeApproximately(0.1, 1e-12);
        plan.RateAt(3, 9).Should().BeLessThan(0.001);
    }

    [Fact]
    public void ReduceOnPlateau_DividesBy10AfterPatienceEpochsWithoutImprovement()
    {
        var plan = new LearningRatePlan(new CnnTrainerOptions
        {
            Optimizer = new() { LearningRate = 0.01 },
            Schedule = new() { WarmupEpochs = 0, Kind = CnnLearningRateSchedule.ReduceOnPlateau, PlateauPatience = 2 },
            Validation = new() { Fraction = 0.1 },
        }, 10);

        plan.ObserveValidation(0.5).Should().BeFalse();
        plan.ObserveValidation(0.6).Should().BeFalse();
        plan.ObserveValidation(0.6).Should().BeFalse();
        plan.ObserveValidation(0.59).Should().BeTrue();
        plan.RateAt(4, 0).Should().BeApproximately(0.001, 1e-12);
        plan.ObserveValidation(0.7).Should().BeFalse();
        plan.RateAt(5, 0).Should().BeApproximately(0.001, 1e-12);
    }
}
