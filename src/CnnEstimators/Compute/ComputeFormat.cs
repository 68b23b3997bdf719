using TorchSharp;
using MLNetCnn.Zoo;
using static TorchSharp.torch;

namespace MLNetCnn.Compute;

/// <summary>
/// How one run computes: the training passes' number format and the batches' memory layout, resolved once from the runtime
/// options, the model and the device, so that every place that feeds the network agrees.
/// </summary>
/// <param name="TrainingPrecision">The format of the training forward and backward passes (float32 or bfloat16).</param>
/// <param name="ChannelsLastTraining">Training batches go in channels-last.</param>
/// <param name="ChannelsLastScoring">Validation batches go in channels-last.</param>
/// <param name="Summary">What was chosen and why, for the training log.</param>
internal sealed record ComputeFormat(ScalarType TrainingPrecision, bool ChannelsLastTraining, bool ChannelsLastScoring, string Summary)
{
    /// <summary>The passes run on a reduced-precision copy of the network.</summary>
    public bool MixedPrecision => TrainingPrecision != ScalarType.Float32;

    /// <summary>Resolves the options' Auto settings for <paramref name="model"/> on <paramref name="device"/>.</summary>
    /// <exception cref="NotSupportedException">A precision this device cannot run at speed, or a model the trainer cannot copy; the message says what to use.</exception>
    public static ComputeFormat Resolve(CnnRuntimeOptions runtime, CnnModel model, DeviceType device)
    {
        var (precision, why) = Precision(runtime, device);
        var zoo = IsZooModel(model);
        var rebuildable = CnnZoo.IsRegistered(model.Architecture);
        // Auto asks for bf16 only where it can have it: a model the registry cannot copy trains in float32, said in the log.
        if (precision != ScalarType.Float32 && !rebuildable && runtime.Precision == CnnPrecision.Auto)
            (precision, why) = (ScalarType.Float32, $" (Precision Auto: bf16 needs a copy of the network from the registry, and '{model.Architecture}' is not registered)");
        if (precision != ScalarType.Float32 && !rebuildable)
            throw new NotSupportedException(
                $"Runtime.Precision {runtime.Precision}: mixed precision trains a bf16 copy of the network, built from the registry, and {model.GetType().Name} " +
                $"('{model.Architecture}') is not registered, so the trainer cannot build that copy. Register its family with CnnZoo.Register, or train it with CnnPrecision.Float32.");
        var onCpu = device == DeviceType.CPU;
        var training = runtime.MemoryFormat switch
        {
            CnnMemoryFormat.ChannelsLast => true,
            CnnMemoryFormat.Contiguous => false,
            // Measured (bench/ChannelsLast): faster for ResNet and GoogLeNet, slower for AlexNet and VGG, whose flattened feature
            // map into a large fully-connected head is copied back out of channels-last in both passes; bf16 needs it.
            _ => zoo && (precision != ScalarType.Float32 || (onCpu && model is not FullyConnectedHeadModel)),
        };
        var scoring = runtime.MemoryFormat switch
        {
            CnnMemoryFormat.ChannelsLast => true,
            CnnMemoryFormat.Contiguous => false,
            _ => ScoresChannelsLast(model, device),
        };
        var summary = $"{(precision == ScalarType.Float32 ? "float32" : "bf16 mixed precision (float32 master weights)")}{why}; " +
                      $"training batches {(training ? "channels-last" : "contiguous")}, validation {(scoring ? "channels-last" : "contiguous")}.";
        return new ComputeFormat(precision, training, scoring, summary);
    }

    /// <summary>
    /// The precision a run will use, refused before any data is read when the device cannot run it at speed (a CPU without
    /// bf16 units), with the reason Auto chose what it did.
    /// </summary>
    /// <exception cref="NotSupportedException">See <see cref="Resolve"/>.</exception>
    public static (ScalarType Precision, string Why) Precision(CnnRuntimeOptions runtime, DeviceType device)
    {
        var onCpu = device == DeviceType.CPU;
        var units = runtime.AssumeBFloat16Units ?? CpuFeatures.HasBFloat16Units;
        return runtime.Precision switch
        {
            CnnPrecision.Float32 => (ScalarType.Float32, ""),
            CnnPrecision.BFloat16 when onCpu && !units => throw new NotSupportedException(
                $"Runtime.Precision is BFloat16, but this CPU ({CpuFeatures.Describe()}) has no bf16 units (AVX512_BF16 or AMX-BF16): libtorch would emulate " +
                "bf16 and train several times slower than float32 (resnet18 under PyTorch's autocast ran 6x to 30x slower on an AVX2 CPU). " +
                "Use CnnPrecision.Auto (bf16 where the CPU has it, float32 here) or CnnPrecision.Float32."),
            CnnPrecision.BFloat16 => (ScalarType.BFloat16, ""),
            _ when onCpu && units => (ScalarType.BFloat16, $" (Precision Auto: this CPU has bf16 units, {CpuFeatures.Describe()})"),
            _ when onCpu => (ScalarType.Float32, $" (Precision Auto: this CPU, {CpuFeatures.Describe()}, has no bf16 units)"),
            _ => (ScalarType.Float32, " (Precision Auto: float32 on CUDA; ask for BFloat16 on a GPU that has it)"),
        };
    }

    /// <summary>
    /// Refuses <see cref="CnnInferenceEngine.TorchSharpBFloat16"/> where it cannot run at speed (a CPU without bf16 units) or at all (an
    /// architecture the registry cannot build the bf16 copy of), saying what to use instead.
    /// </summary>
    /// <param name="device">Where the model scores.</param>
    /// <param name="architecture">The model's registry name.</param>
    /// <param name="assumeUnits">Tests only: what to take the CPU to have; null reads it.</param>
    /// <exception cref="NotSupportedException">It cannot run here.</exception>
    public static void RequireBFloat16Scoring(DeviceType device, string architecture, bool? assumeUnits)
    {
        if (device == DeviceType.CPU && !(assumeUnits ?? CpuFeatures.HasBFloat16Units))
            throw new NotSupportedException(
                $"CnnInferenceEngine.TorchSharpBFloat16 needs a CPU with bf16 units (AVX512_BF16 or AMX-BF16), and this one ({CpuFeatures.Describe()}) has none: libtorch " +
                "would emulate bf16 and score slower than float32. Use CnnInferenceEngine.Auto (ONNX Runtime in float32), or OnnxRuntimeInt8 for speed.");
        if (!CnnZoo.IsRegistered(architecture))
            throw new NotSupportedException(
                $"CnnInferenceEngine.TorchSharpBFloat16 scores a bf16 copy of the network, built from the registry, and '{architecture}' is not registered. " +
                "Register its family with CnnZoo.Register, or score it with CnnInferenceEngine.Auto or TorchSharp.");
    }

    /// <summary>
    /// Whether the TorchSharp engine scores <paramref name="model"/> channels-last: on the CPU, for the zoo's models, where it
    /// was measured 1.2x to 1.9x faster in eval mode (bench/ChannelsLast); a model of your own runs as written.
    /// </summary>
    public static bool ScoresChannelsLast(CnnModel model, DeviceType device) => device == DeviceType.CPU && IsZooModel(model);

    /// <summary>A training batch in this run's format.</summary>
    public Tensor TrainingInput(Tensor images) => Layout(MixedPrecision ? images.to(TrainingPrecision) : images, ChannelsLastTraining);

    /// <summary>A validation batch in this run's format.</summary>
    public Tensor ScoringInput(Tensor images) => Layout(images, ChannelsLastScoring);

    /// <summary>
    /// The same values with channels-last strides (TorchSharp has no memory-format argument: a permuted copy, permuted back,
    /// is what PyTorch's <c>to(memory_format=torch.channels_last)</c> makes); convolutions then keep that layout.
    /// </summary>
    public static Tensor Layout(Tensor images, bool channelsLast)
        => channelsLast && images.dim() == 4 ? images.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : images;

    // The zoo's models use reshape and flatten, never view, so any layout runs them; a model of the user's own might not.
    private static bool IsZooModel(CnnModel model) => model.GetType().Assembly == typeof(CnnModel).Assembly;
}
