namespace MLNetCnn;

/// <summary>Learning-rate schedules (a linear warm-up can precede any of them).</summary>
public enum CnnLearningRateSchedule
{
    /// <summary>The learning rate stays constant.</summary>
    Constant,

    /// <summary>Multiplied by <see cref="CnnScheduleOptions.StepGamma"/> every <see cref="CnnScheduleOptions.StepEpochs"/> epochs.</summary>
    Step,

    /// <summary>Cosine annealing from the learning rate to zero over the run, per batch.</summary>
    Cosine,

    /// <summary>Divided by 10 when validation accuracy stops improving for <see cref="CnnScheduleOptions.PlateauPatience"/> epochs (AlexNet's recipe).</summary>
    ReduceOnPlateau,
}

/// <summary>How long the run is and how its learning rate moves: epochs, batch size, warm-up and the schedule.</summary>
public sealed record CnnScheduleOptions
{
    /// <summary>Passes over the training data. Range: 1 or more.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Images per step. Range: 1 or more; larger than the data works.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The learning-rate schedule. Cosine by default.</summary>
    public CnnLearningRateSchedule Kind { get; init; } = CnnLearningRateSchedule.Cosine;

    /// <summary>Epochs of linear warm-up from 0 to the learning rate (fractions allowed). Range: 0 or more.</summary>
    public double WarmupEpochs { get; init; } = 1;

    /// <summary>Epochs between steps of the <see cref="CnnLearningRateSchedule.Step"/> schedule.</summary>
    public int StepEpochs { get; init; } = 30;

    /// <summary>Factor of each step of the <see cref="CnnLearningRateSchedule.Step"/> schedule. Range: (0, 1].</summary>
    public double StepGamma { get; init; } = 0.1;

    /// <summary>Epochs without validation improvement before <see cref="CnnLearningRateSchedule.ReduceOnPlateau"/> divides the rate by 10.</summary>
    public int PlateauPatience { get; init; } = 2;

    internal IEnumerable<string> Problems()
    {
        if (Epochs < 1)
            yield return $"Schedule.Epochs must be at least 1; got {Epochs}.";
        if (BatchSize < 1)
            yield return $"Schedule.BatchSize must be at least 1; got {BatchSize}.";
        if (!Enum.IsDefined(Kind))
            yield return $"Schedule.Kind must be Constant, Step, Cosine or ReduceOnPlateau; got {Kind}.";
        if (!(WarmupEpochs >= 0 && double.IsFinite(WarmupEpochs)))
            yield return $"Schedule.WarmupEpochs must be 0 or more; got {WarmupEpochs}.";
        if (StepEpochs < 1)
            yield return $"Schedule.StepEpochs must be at least 1; got {StepEpochs}.";
        if (StepGamma is not (> 0 and <= 1))
            yield return $"Schedule.StepGamma must be in (0, 1]; got {StepGamma}.";
        if (PlateauPatience < 1)
            yield return $"Schedule.PlateauPatience must be at least 1; got {PlateauPatience}.";
    }
}
