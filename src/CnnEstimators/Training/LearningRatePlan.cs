namespace MLNetCnn.Training;

/// <summary>
/// The learning rate of each step: linear warm-up, then the chosen schedule, times the factor that
/// reduce-on-plateau has reached (state kept here so checkpoints can carry it).
/// </summary>
internal sealed class LearningRatePlan(CnnTrainerOptions options, int stepsPerEpoch)
{
    private const double PlateauFactor = 0.1;
    private const double MinImprovement = 1e-4;

    /// <summary>Product of the plateau reductions so far.</summary>
    public double PlateauScale { get; set; } = 1;

    /// <summary>Best validation accuracy seen by the plateau rule.</summary>
    public double PlateauBest { get; set; } = double.NegativeInfinity;

    /// <summary>Epochs since the plateau rule last saw an improvement.</summary>
    public int PlateauWait { get; set; }

    /// <summary>The rate for a 0-based epoch and step within it.</summary>
    public double RateAt(int epoch, int step)
    {
        var progress = epoch + (double)step / stepsPerEpoch;  // epochs done, fractional
        var rate = options.Optimizer.LearningRate * PlateauScale;
        if (options.Schedule.WarmupEpochs > 0 && progress < options.Schedule.WarmupEpochs)
            return rate * (progress + 1.0 / stepsPerEpoch) / options.Schedule.WarmupEpochs;
        return options.Schedule.Kind switch
        {
            CnnLearningRateSchedule.Step => rate * Math.Pow(options.Schedule.StepGamma, epoch / options.Schedule.StepEpochs),
            CnnLearningRateSchedule.Cosine => rate * 0.5 * (1 + Math.Cos(Math.PI * CosineProgress(progress))),
            _ => rate,
        };
    }

    private double CosineProgress(double progress)
    {
        var span = options.Schedule.Epochs - options.Schedule.WarmupEpochs;
        return span <= 0 ? 1 : Math.Clamp((progress - options.Schedule.WarmupEpochs) / span, 0, 1);
    }

    /// <summary>Feeds an epoch's validation score (higher is better: accuracy, or the negated log-loss) to the plateau rule; true when it reduced the rate.</summary>
    public bool ObserveValidation(double score)
    {
        if (options.Schedule.Kind != CnnLearningRateSchedule.ReduceOnPlateau)
            return false;
        if (score > PlateauBest + MinImprovement)
        {
            PlateauBest = score;
            PlateauWait = 0;
            return false;
        }
        if (++PlateauWait < options.Schedule.PlateauPatience)
            return false;
        PlateauScale *= PlateauFactor;
        PlateauWait = 0;
        return true;
    }
}
