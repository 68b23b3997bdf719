namespace MLNetCnn;

/// <summary>Where and how the run executes: device, threads, memory, seed, unreadable rows, deadline, and how the result scores.</summary>
public sealed record CnnRuntimeOptions
{
    /// <summary><c>auto</c> (CUDA when available, else CPU), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>CPU threads for TorchSharp (libtorch's setting, for the process); null leaves TorchSharp's default.</summary>
    public int? Threads { get; init; }

    /// <summary>Training rows are cached as tensors when they fit in this many bytes, else streamed with prefetching.</summary>
    public long MemoryBudgetBytes { get; init; } = 4L << 30;

    /// <summary>Rows of the shuffle buffer when streaming.</summary>
    public int ShuffleBufferRows { get; init; } = 4096;

    /// <summary>Seed of initialisation, shuffling and augmentation; default: drawn from the MLContext's seed.</summary>
    public int? Seed { get; init; }

    /// <summary>Skip rows whose image cannot be read (counted and logged) instead of failing.</summary>
    public bool SkipUnreadableImages { get; init; }

    /// <summary>
    /// A deadline for the run, counted from the start of <c>Fit</c> (reading the data included): training stops within one batch
    /// of it and <c>Fit</c> returns a usable model (the best validated weights when <see cref="CnnValidationOptions.KeepBestWeights"/>, else
    /// the weights as they are), whose <see cref="CnnClassifierTransformer.TrainingEnd"/> says it was stopped, when and why. An epoch the
    /// deadline cuts short is not validated and not in the history. Null: no deadline.
    /// </summary>
    public TimeSpan? MaxTrainingTime { get; init; }

    /// <summary>Rows per batch when the trained transformer scores.</summary>
    public int ScoringBatchSize { get; init; } = 64;

    /// <summary>
    /// What runs the trained network when the transformer scores: by default ONNX Runtime on CPU, TorchSharp on CUDA.
    /// <see cref="CnnInferenceEngine.OnnxRuntimeInt8"/> quantizes the trained network, calibrated on up to 256 rows spread over the training data;
    /// <see cref="CnnInferenceEngine.TorchSharpBFloat16"/> scores a bf16 copy, on CPUs with bf16 units (refused before training elsewhere).
    /// </summary>
    public CnnInferenceEngine InferenceEngine { get; init; } = CnnInferenceEngine.Auto;

    /// <summary>
    /// The training passes' number format: <see cref="CnnPrecision.Auto"/> is bf16 mixed precision on CPUs with bf16 units and float32
    /// elsewhere. Whatever it is, the trained model is float32.
    /// </summary>
    public CnnPrecision Precision { get; init; } = CnnPrecision.Auto;

    /// <summary>The memory layout of the batches TorchSharp runs: <see cref="CnnMemoryFormat.Auto"/> is channels-last where it was measured faster.</summary>
    public CnnMemoryFormat MemoryFormat { get; init; } = CnnMemoryFormat.Auto;

    // Tests only: what to take the CPU to have, so that both sides are tested on every machine. true runs bf16 on a CPU without
    // bf16 units (emulated by libtorch, slow but the same arithmetic), which users are refused; false refuses it on one that has them.
    internal bool? AssumeBFloat16Units { get; init; }

    internal IEnumerable<string> Problems()
    {
        if (!DeviceSelection.IsValid(Device))
            yield return "Runtime.Device: " + Messages.InvalidDevice(Device);
        if (Threads is < 1)
            yield return $"Runtime.Threads must be at least 1; got {Threads}.";
        if (MemoryBudgetBytes < 0)
            yield return $"Runtime.MemoryBudgetBytes must be 0 or more; got {MemoryBudgetBytes}.";
        if (ShuffleBufferRows < 1)
            yield return $"Runtime.ShuffleBufferRows must be at least 1; got {ShuffleBufferRows}.";
        if (MaxTrainingTime is { } limit && limit <= TimeSpan.Zero)
            yield return $"Runtime.MaxTrainingTime must be greater than zero; got {limit}.";
        if (ScoringBatchSize < 1)
            yield return $"Runtime.ScoringBatchSize must be at least 1; got {ScoringBatchSize}.";
        if (!Enum.IsDefined(Precision))
            yield return $"Runtime.Precision is not one of {string.Join(", ", Enum.GetNames<CnnPrecision>())}; got {Precision}.";
        if (!Enum.IsDefined(MemoryFormat))
            yield return $"Runtime.MemoryFormat is not one of {string.Join(", ", Enum.GetNames<CnnMemoryFormat>())}; got {MemoryFormat}.";
        if (!Enum.IsDefined(InferenceEngine))
            yield return $"Runtime.InferenceEngine is not one of {string.Join(", ", Enum.GetNames<CnnInferenceEngine>())}; got {InferenceEngine}.";
    }
}
