using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNetCnn;

/// <summary>
/// Everything the CNN trainer can be told, in groups as timm's and torchvision's reference scripts have them: the model, the
/// columns, the input, the optimiser, the schedule, augmentation, regularisation, fine-tuning, validation, test-time views, the
/// runtime and checkpoints. Immutable records: change a copy with <c>with</c>
/// (<c>options with { Schedule = options.Schedule with { Epochs = 30 } }</c>). The whole configuration round-trips through
/// <see cref="ToJson"/> and <see cref="FromJson"/> (what a search samples and stores, and what checkpoints and saved models record);
/// the run's hooks (progress, cancellation, the epoch-end callback) and objects (a model instance, validation rows) are not part of it.
/// </summary>
/// <remarks>
/// The defaults are a recipe that learns reliably from scratch on a few hundred images as well as on large sets: AdamW at 0.002
/// (weight decay 5e-4), batch 32, one epoch of linear warm-up, then cosine decay. <see cref="CnnRecipes"/> names the others.
/// </remarks>
public sealed record CnnTrainerOptions
{
    /// <summary>The network: architecture, variant, pretrained weights, or a model instance.</summary>
    public CnnModelOptions Model { get; init; } = new();

    /// <summary>The columns read and added.</summary>
    public CnnColumnOptions Columns { get; init; } = new();

    /// <summary>Input size, channels and normalisation.</summary>
    public CnnInputOptions Input { get; init; } = new();

    /// <summary>The optimiser, its rate, momentum, weight decay and clipping.</summary>
    public CnnOptimizerOptions Optimizer { get; init; } = new();

    /// <summary>Epochs, batch size, warm-up and the learning-rate schedule.</summary>
    public CnnScheduleOptions Schedule { get; init; } = new();

    /// <summary>Batch augmentation.</summary>
    public CnnAugmentationOptions Augmentation { get; init; } = new();

    /// <summary>Label smoothing, MixUp and CutMix, weight averaging, class balance.</summary>
    public CnnRegularizationOptions Regularization { get; init; } = new();

    /// <summary>Frozen epochs and the backbone's rate.</summary>
    public CnnFineTuningOptions FineTuning { get; init; } = new();

    /// <summary>Validation, the best weights and early stopping.</summary>
    public CnnValidationOptions Validation { get; init; } = new();

    /// <summary>The views the trained classifier averages when it scores.</summary>
    public CnnTestTimeOptions TestTime { get; init; } = new();

    /// <summary>Device, threads, memory, seed, deadline, scoring engine.</summary>
    public CnnRuntimeOptions Runtime { get; init; } = new();

    /// <summary>Training checkpoints.</summary>
    public CnnCheckpointOptions Checkpoint { get; init; } = new();

    /// <summary>Reports each batch and epoch.</summary>
    [JsonIgnore]
    public IProgress<CnnTrainingProgress>? Progress { get; init; }

    /// <summary>Aborts training within one batch: <c>Fit</c> throws <see cref="OperationCanceledException"/> and returns no model; the last checkpoint stays intact.
    /// To end a run early and keep its model, use <see cref="CnnRuntimeOptions.MaxTrainingTime"/> or <see cref="EpochEnd"/>.</summary>
    [JsonIgnore]
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// Called after every epoch but the last (after validation): it sees the epoch's metrics and the history, and can end the run
    /// with <see cref="CnnEpochEnd.Stop"/>, keeping a usable model as <see cref="CnnRuntimeOptions.MaxTrainingTime"/> does (a search's rung
    /// decision). It runs on the training thread, so keep it short.
    /// </summary>
    [JsonIgnore]
    public Action<CnnEpochEnd>? EpochEnd { get; init; }

    /// <summary>The clock <see cref="CnnRuntimeOptions.MaxTrainingTime"/> is measured on (the system's; tests step a clock of their own).</summary>
    [JsonIgnore]
    internal TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Every problem of every group, and of groups together, in one list; empty when the options can train.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = Model.Problems().Concat(Columns.Problems()).Concat(Input.Problems()).Concat(Optimizer.Problems()).Concat(Schedule.Problems())
            .Concat(Augmentation.Problems()).Concat(Regularization.Problems()).Concat(FineTuning.Problems()).Concat(Validation.Problems())
            .Concat(TestTime.Problems(Input.KnownSize)).Concat(Runtime.Problems()).Concat(Checkpoint.Problems()).ToList();
        void Check(bool ok, string problem)
        {
            if (!ok)
                problems.Add(problem);
        }
        Check(Schedule.Kind != CnnLearningRateSchedule.ReduceOnPlateau || Validation.IsActive,
            "Schedule.Kind ReduceOnPlateau needs validation: set Validation.Data or Validation.Fraction.");
        Check(FineTuning.FreezeEpochs == 0 || FineTuning.FreezeEpochs < Schedule.Epochs,
            $"FineTuning.FreezeEpochs ({FineTuning.FreezeEpochs}) must be less than Schedule.Epochs ({Schedule.Epochs}): the backbone would never learn. " +
            "Raise the epochs, or train only the head with a featurizer.");
        Check(!Regularization.Mixes || Schedule.BatchSize >= 2,
            $"MixUp and CutMix mix images within a batch: Schedule.BatchSize must be at least 2; got {Schedule.BatchSize}.");
        Check(Model.Weights is null || Input.Channels is null or 3,
            $"Pretrained weights take colour images: leave Input.Channels unset (grey images are repeated into three channels); got {Input.Channels}.");
        return problems;
    }

    /// <summary>Checks every option, reporting all problems in one exception.</summary>
    /// <exception cref="ArgumentException">Lists each invalid option, its value and the valid range.</exception>
    public void Validate() => OptionProblems.ThrowIfAny("CNN trainer options", Problems());

    /// <summary>The configuration as JSON (every group; not the hooks, a model instance or validation rows): what a search stores and checkpoints record.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, OptionsJson.Settings);

    /// <summary>Reads a configuration written by <see cref="ToJson"/> (or by hand: missing options keep their defaults).</summary>
    /// <exception cref="ArgumentException">The JSON is malformed, names an option that does not exist, or holds a value of the wrong type; the message says where.</exception>
    public static CnnTrainerOptions FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize<CnnTrainerOptions>(json, OptionsJson.Settings) ?? throw new JsonException("The JSON is null.");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Not CNN trainer options: {e.Message}", nameof(json), e);
        }
    }
}

/// <summary>How trainer options are written as JSON: indented, enums by name, tuples by their elements, unknown options refused.</summary>
internal static class OptionsJson
{
    public static readonly JsonSerializerOptions Settings = new()
    {
        WriteIndented = true,
        IncludeFields = true,   // the tuples' elements (ValueTuple's Item1..Item3)
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter() },
    };
}
