using Microsoft.ML;
using MLNetCnn.Zoo;

namespace MLNetCnn;

/// <summary>Optimisers the trainer offers.</summary>
public enum CnnOptimizer
{
    /// <summary>SGD with momentum and weight decay: the lecture's AlexNet recipe.</summary>
    Sgd,

    /// <summary>Adam, with L2 weight decay in the gradient.</summary>
    Adam,

    /// <summary>AdamW, with decoupled weight decay.</summary>
    AdamW,
}

/// <summary>Learning-rate schedules (a linear warm-up can precede any of them).</summary>
public enum CnnLearningRateSchedule
{
    /// <summary>The learning rate stays constant.</summary>
    Constant,

    /// <summary>Multiplied by <see cref="CnnTrainerOptions.StepGamma"/> every <see cref="CnnTrainerOptions.StepEpochs"/> epochs.</summary>
    Step,

    /// <summary>Cosine annealing from the learning rate to zero over the run, per batch.</summary>
    Cosine,

    /// <summary>Divided by 10 when validation accuracy stops improving for <see cref="CnnTrainerOptions.PlateauPatience"/> epochs (AlexNet's recipe).</summary>
    ReduceOnPlateau,
}

/// <summary>
/// Everything the CNN trainer can be told. The defaults are a recipe that learns reliably from scratch on a few hundred
/// images as well as on large sets: AdamW at 0.002 (weight decay 5e-4), batch 32, one epoch of linear warm-up, then cosine
/// decay. <see cref="CnnRecipes"/> names the others: the lecture's AlexNet recipe, fine-tuning, fast, SGD.
/// </summary>
public sealed class CnnTrainerOptions
{
    /// <summary>Registry name of the architecture (see <c>CnnZoo.Names</c>). Ignored when <see cref="Model"/> is set.</summary>
    public string Architecture { get; set; } = "resnet18";

    /// <summary>
    /// The variant of <see cref="Architecture"/> to build, of the type its registry entry takes (<c>CnnZoo.ArgumentsType(name)</c>: e.g.
    /// <see cref="ResNetArguments"/> for other blocks per stage or width, <see cref="VggArguments"/>, <see cref="CifarResNetArguments"/>);
    /// null builds the registered default. Checkpoints and saved models record it, so reloading rebuilds the same variant.
    /// </summary>
    public object? ArchitectureArguments { get; set; }

    /// <summary>A model to fine-tune (built or loaded by you, e.g. with pretrained weights); its head is reset to the label's class count when that differs.</summary>
    public CnnModel? Model { get; set; }

    /// <summary>
    /// Start from these pretrained weights of <see cref="Architecture"/> (e.g. <c>IMAGENET1K_V1</c>; <c>CnnZoo.Weights(name)</c> lists them),
    /// the head reset to the label's classes, the weights' preprocessing used unless Mean/Std or ImageSize say otherwise; grey images
    /// are repeated into the three channels such weights take. Null trains from scratch.
    /// </summary>
    public string? Weights { get; set; }

    /// <summary>Epochs at the start in which only the head learns: the backbone's weights and batch-norm statistics stay frozen.</summary>
    public int FreezeEpochs { get; set; }

    /// <summary>The backbone's learning rate as a multiple of the head's (discriminative learning rates), e.g. 0.1; 1 learns alike.</summary>
    public double BackboneLearningRateFactor { get; set; } = 1;

    /// <summary>Keep the backbone's batch-norm statistics fixed throughout (small batches, or data much like the pretraining data).</summary>
    public bool FreezeBatchNorm { get; set; }

    /// <summary>Colour jitter: each image's brightness, contrast and saturation scaled by a factor drawn from [1 - s, 1 + s] (0: off).</summary>
    public (double Brightness, double Contrast, double Saturation) ColorJitter { get; set; }

    /// <summary>
    /// Random affine transform per image, as torchvision's RandomAffine: rotation by up to ±<c>Degrees</c>, a shift by up to ±<c>Translate</c>
    /// of the width and height, a zoom from [1 - <c>Scale</c>, 1 + <c>Scale</c>]; uncovered pixels are black (all 0: off).
    /// </summary>
    public (double Degrees, double Translate, double Scale) RandomAffine { get; set; }

    /// <summary>
    /// TrivialAugmentWide, as torchvision defines it: one of 14 operations per image (shears, shifts, rotation, brightness, colour, contrast,
    /// sharpness, posterize, solarize, autocontrast, equalize, identity) at one of 31 strengths, both drawn at random. No settings to tune.
    /// </summary>
    public bool TrivialAugment { get; set; }

    /// <summary>Probability of erasing a random box (2%-33% of the image, aspect 0.3-3.3) to the image's mean colour, as torchvision's RandomErasing.</summary>
    public double RandomErasingProbability { get; set; }

    /// <summary>MixUp: blend each batch with a shuffled copy of itself, weight drawn from Beta(alpha, alpha), targets blended alike (0: off).</summary>
    public double MixUpAlpha { get; set; }

    /// <summary>CutMix: paste a box of a shuffled copy (area from Beta(alpha, alpha)), targets mixed by the pasted area (0: off).</summary>
    public double CutMixAlpha { get; set; }

    /// <summary>Probability that a batch is mixed at all; when both MixUp and CutMix are on, each mixed batch uses one of them at even odds.</summary>
    public double MixProbability { get; set; } = 1;

    /// <summary>Per-class loss weights, in the label key's order (rare classes weighted up); null for none.</summary>
    public float[]? ClassWeights { get; set; }

    /// <summary>Weigh each class by the inverse of its frequency in the training data (N / (classes x count)), instead of <see cref="ClassWeights"/>.</summary>
    public bool BalanceClasses { get; set; }

    /// <summary>
    /// Draw each epoch's rows with replacement, each with probability inversely proportional to its class's frequency (as
    /// PyTorch's WeightedRandomSampler does), so every class fills batches equally often; the epoch keeps its length.
    /// An alternative to weighting the loss (<see cref="BalanceClasses"/>); needs the training rows in memory
    /// (<see cref="MemoryBudgetBytes"/>).
    /// </summary>
    public bool BalancedSampling { get; set; }

    /// <summary>Clip the gradients' total L2 norm to this before each step; null for no clipping.</summary>
    public double? GradientClipNorm { get; set; }

    /// <summary>
    /// Keep an exponential moving average of the weights with this decay (e.g. 0.999; timm's ModelEmaV2, with warm-up): when set,
    /// validation, early stopping, the kept best weights and the trained model use the averaged weights. Null: off.
    /// </summary>
    public double? EmaDecay { get; set; }

    /// <summary>
    /// Test-time augmentation: the trained classifier scores each image and its mirror image and averages the probabilities,
    /// in both inference engines and in the ONNX graph <c>mlContext.Model.Save</c> writes, so a reloaded model scores the same.
    /// </summary>
    public bool TestTimeFlip { get; set; }

    /// <summary>
    /// Test-time augmentation: the trained classifier also scores five square crops of this side (the four corners and the
    /// centre, in input pixels, each resized back to the input size) and averages them with the whole image; with
    /// <see cref="TestTimeFlip"/> every view is mirrored too (AlexNet's ten-crop evaluation, plus the whole image). Used by
    /// validation, both inference engines and the saved ONNX graph. Must be smaller than the input; null for none.
    /// </summary>
    public int? TestTimeCropSize { get; set; }

    /// <summary>The test-time views these options ask for.</summary>
    internal TestTimeAugmentation TestTime => new(TestTimeFlip, TestTimeCropSize);

    /// <summary>The key-typed label column (use <c>MapValueToKey</c> on raw labels).</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The image column: an <c>MLImage</c> or a float vector of <c>C*H*W</c> pixels (then set <see cref="VectorShape"/>).</summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>Output column of class probabilities.</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>Output column of the predicted key.</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>For vector image columns: (channels, height, width) of each vector, channel-major.</summary>
    public (int Channels, int Height, int Width)? VectorShape { get; set; }

    /// <summary>Height and width the network sees; images are resized to it. Default: the architecture's design size (224 for ImageNet nets, 32 for CIFAR nets), or the vector's size.</summary>
    public int? ImageSize { get; set; }

    /// <summary>Channels the network takes: 1 grey, 3 colour. Default: the model's, else 3 for images and the vector's channels.</summary>
    public int? Channels { get; set; }

    /// <summary>Factor from raw pixel values to [0, 1]: 1/255 by default (bytes, and ExtractPixels' default floats).</summary>
    public float PixelScale { get; set; } = 1f / 255f;

    /// <summary>Per-channel mean after scaling; default: measured on the training data.</summary>
    public float[]? Mean { get; set; }

    /// <summary>Per-channel standard deviation after scaling; default: measured on the training data.</summary>
    public float[]? Std { get; set; }

    /// <summary>Passes over the training data. Range: 1 or more.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Images per step. Range: 1 or more; larger than the data works.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>The optimiser.</summary>
    public CnnOptimizer Optimizer { get; set; } = CnnOptimizer.AdamW;

    /// <summary>Peak learning rate. Range: greater than 0.</summary>
    public double LearningRate { get; set; } = 0.002;

    /// <summary>SGD momentum. Range: [0, 1).</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Use Nesterov momentum with SGD.</summary>
    public bool Nesterov { get; set; }

    /// <summary>Weight decay: L2 in the gradient for SGD and Adam, decoupled for AdamW. Range: 0 or more.</summary>
    public double WeightDecay { get; set; } = 5e-4;

    /// <summary>The learning-rate schedule.</summary>
    public CnnLearningRateSchedule Schedule { get; set; } = CnnLearningRateSchedule.Cosine;

    /// <summary>Epochs between steps of the <see cref="CnnLearningRateSchedule.Step"/> schedule.</summary>
    public int StepEpochs { get; set; } = 30;

    /// <summary>Factor of each step of the <see cref="CnnLearningRateSchedule.Step"/> schedule. Range: (0, 1].</summary>
    public double StepGamma { get; set; } = 0.1;

    /// <summary>Epochs without validation improvement before <see cref="CnnLearningRateSchedule.ReduceOnPlateau"/> divides the rate by 10.</summary>
    public int PlateauPatience { get; set; } = 2;

    /// <summary>Epochs of linear warm-up from 0 to the learning rate (fractions allowed). Range: 0 or more.</summary>
    public double WarmupEpochs { get; set; } = 1;

    /// <summary>Label smoothing of the cross-entropy loss. Range: [0, 1).</summary>
    public double LabelSmoothing { get; set; }

    /// <summary>Augmentation: pad by this many pixels and crop back at a random offset (CIFAR-style); 0 turns it off.</summary>
    public int RandomCropPadding { get; set; }

    /// <summary>Augmentation: mirror half the images left to right.</summary>
    public bool HorizontalFlip { get; set; }

    /// <summary>Augmentation: crop a random 8%-100% area with aspect 3/4-4/3 and resize it back (ImageNet-style, for large images).</summary>
    public bool RandomResizedCrop { get; set; }

    /// <summary>Validation rows, scored after each epoch. Alternatively hold out <see cref="ValidationFraction"/>.</summary>
    public IDataView? ValidationData { get; set; }

    /// <summary>Fraction of the training rows held out for validation when <see cref="ValidationData"/> is not given. Range: [0, 1).</summary>
    public double ValidationFraction { get; set; }

    /// <summary>Stop when the validation <see cref="SelectionMetric"/> has not improved for this many epochs; null trains all epochs.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>With validation, end with the weights of the epoch of the best validation <see cref="SelectionMetric"/>.</summary>
    public bool KeepBestWeights { get; set; } = true;

    /// <summary>
    /// What "best" and "improved" mean for <see cref="KeepBestWeights"/>, <see cref="EarlyStoppingPatience"/> and the plateau schedule:
    /// validation accuracy (default), macro accuracy (for unbalanced classes) or log-loss.
    /// </summary>
    public CnnSelectionMetric SelectionMetric { get; set; } = CnnSelectionMetric.Accuracy;

    /// <summary>Reports each batch and epoch.</summary>
    public IProgress<CnnTrainingProgress>? Progress { get; set; }

    /// <summary>Aborts training within one batch: <c>Fit</c> throws <see cref="OperationCanceledException"/> and returns no model; the last checkpoint stays intact.
    /// To end a run early and keep its model, use <see cref="MaxTrainingTime"/> or <see cref="EpochEnd"/>.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// A deadline for the run, counted from the start of <c>Fit</c> (reading the data included): training stops within one batch
    /// of it and <c>Fit</c> returns a usable model (the best validated weights when <see cref="KeepBestWeights"/>, else the weights as
    /// they are), whose <see cref="CnnClassifierTransformer.TrainingEnd"/> says it was stopped, when and why. An epoch the deadline
    /// cuts short is not validated and not in the history. Null: no deadline.
    /// </summary>
    public TimeSpan? MaxTrainingTime { get; set; }

    /// <summary>
    /// Called after every epoch but the last (after validation): it sees the epoch's metrics and the history, and can end the run
    /// with <see cref="CnnEpochEnd.Stop"/>, keeping a usable model as <see cref="MaxTrainingTime"/> does (a search's rung decision).
    /// It runs on the training thread, so keep it short.
    /// </summary>
    public Action<CnnEpochEnd>? EpochEnd { get; set; }

    /// <summary>The clock <see cref="MaxTrainingTime"/> is measured on (the system's; tests step a clock of their own).</summary>
    internal TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary><c>auto</c> (CUDA when available, else CPU), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>CPU threads for TorchSharp; null leaves TorchSharp's default.</summary>
    public int? Threads { get; set; }

    /// <summary>Training rows are cached as tensors when they fit in this many bytes, else streamed with prefetching.</summary>
    public long MemoryBudgetBytes { get; set; } = 4L << 30;

    /// <summary>Rows of the shuffle buffer when streaming.</summary>
    public int ShuffleBufferRows { get; set; } = 4096;

    /// <summary>Seed of initialisation, shuffling and augmentation; default: drawn from the MLContext's seed.</summary>
    public int? Seed { get; set; }

    /// <summary>Writes a checkpoint here after every epoch (atomically: write, then rename).</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Resumes from this checkpoint (weights, optimiser, epoch, RNG, schedule); reaches the weights an uninterrupted run would.</summary>
    public string? ResumeFromCheckpoint { get; set; }

    /// <summary>Skip rows whose image cannot be read (counted and logged) instead of failing.</summary>
    public bool SkipUnreadableImages { get; set; }

    /// <summary>Rows per batch when the trained transformer scores.</summary>
    public int ScoringBatchSize { get; set; } = 64;

    /// <summary>
    /// What runs the trained network when the transformer scores: by default ONNX Runtime on CPU, TorchSharp on CUDA.
    /// <see cref="CnnInferenceEngine.OnnxRuntimeInt8"/> quantizes the trained network, calibrated on up to 256 rows spread over the training data.
    /// </summary>
    public CnnInferenceEngine InferenceEngine { get; set; } = CnnInferenceEngine.Auto;

    /// <summary>Checks every option, reporting all problems in one exception.</summary>
    /// <exception cref="ArgumentException">Lists each invalid option, its value and the valid range.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string message) { if (!ok) errors.Add(message); }
        Check(Model is not null || !string.IsNullOrWhiteSpace(Architecture), "Architecture must name a zoo architecture or Model must be set.");
        Check(Epochs >= 1, $"Epochs must be at least 1; got {Epochs}.");
        Check(BatchSize >= 1, $"BatchSize must be at least 1; got {BatchSize}.");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), $"LearningRate must be greater than 0; got {LearningRate}.");
        Check(Momentum is >= 0 and < 1, $"Momentum must be in [0, 1); got {Momentum}.");
        Check(WeightDecay >= 0, $"WeightDecay must be 0 or more; got {WeightDecay}.");
        Check(StepEpochs >= 1, $"StepEpochs must be at least 1; got {StepEpochs}.");
        Check(StepGamma is > 0 and <= 1, $"StepGamma must be in (0, 1]; got {StepGamma}.");
        Check(PlateauPatience >= 1, $"PlateauPatience must be at least 1; got {PlateauPatience}.");
        Check(WarmupEpochs >= 0, $"WarmupEpochs must be 0 or more; got {WarmupEpochs}.");
        Check(LabelSmoothing is >= 0 and < 1, $"LabelSmoothing must be in [0, 1); got {LabelSmoothing}.");
        Check(RandomCropPadding >= 0, $"RandomCropPadding must be 0 or more; got {RandomCropPadding}.");
        Check(ValidationFraction is >= 0 and < 1, $"ValidationFraction must be in [0, 1); got {ValidationFraction}.");
        Check(ValidationData is null || ValidationFraction == 0, "Set ValidationData or ValidationFraction, not both.");
        Check(Enum.IsDefined(SelectionMetric), $"SelectionMetric must be Accuracy, MacroAccuracy or LogLoss; got {SelectionMetric}.");
        Check(EarlyStoppingPatience is null or >= 1, $"EarlyStoppingPatience must be at least 1; got {EarlyStoppingPatience}.");
        Check(Schedule != CnnLearningRateSchedule.ReduceOnPlateau || ValidationData is not null || ValidationFraction > 0,
            "Schedule ReduceOnPlateau needs validation: set ValidationData or ValidationFraction.");
        Check(EarlyStoppingPatience is null || ValidationData is not null || ValidationFraction > 0,
            "EarlyStoppingPatience needs validation: set ValidationData or ValidationFraction.");
        Check(Threads is null or >= 1, $"Threads must be at least 1; got {Threads}.");
        Check(MaxTrainingTime is null || MaxTrainingTime > TimeSpan.Zero, $"MaxTrainingTime must be greater than zero; got {MaxTrainingTime}.");
        Check(MemoryBudgetBytes >= 0, $"MemoryBudgetBytes must be 0 or more; got {MemoryBudgetBytes}.");
        Check(ShuffleBufferRows >= 1, $"ShuffleBufferRows must be at least 1; got {ShuffleBufferRows}.");
        Check(FreezeEpochs >= 0, $"FreezeEpochs must be 0 or more; got {FreezeEpochs}.");
        Check(FreezeEpochs == 0 || FreezeEpochs < Epochs,
            $"FreezeEpochs ({FreezeEpochs}) must be less than Epochs ({Epochs}): the backbone would never learn. Raise Epochs, or train only the head with a featurizer.");
        Check(BackboneLearningRateFactor > 0 && double.IsFinite(BackboneLearningRateFactor),
            $"BackboneLearningRateFactor must be greater than 0; got {BackboneLearningRateFactor}.");
        Check(Weights is null || Model is null, "Set Weights (pretrained weights of Architecture) or Model, not both.");
        Check(ArchitectureArguments is null || Model is null, "Set ArchitectureArguments (a variant of Architecture) or Model, not both.");
        if (ArchitectureArguments is not null && Model is null && CnnZoo.IsRegistered(Architecture))
        {
            var expected = CnnZoo.ArgumentsType(Architecture);
            Check(expected == ArchitectureArguments.GetType(), expected is null
                ? $"ArchitectureArguments: '{Architecture}' takes no arguments; got {ArchitectureArguments.GetType().Name}."
                : $"ArchitectureArguments: '{Architecture}' takes {expected.Name}; got {ArchitectureArguments.GetType().Name}.");
        }
        Check(ColorJitter.Brightness >= 0 && ColorJitter.Contrast >= 0 && ColorJitter.Saturation >= 0,
            $"ColorJitter strengths must be 0 or more; got {ColorJitter}.");
        Check(ColorJitter.Brightness <= 1 && ColorJitter.Contrast <= 1 && ColorJitter.Saturation <= 1,
            $"ColorJitter strengths must be at most 1 (a factor below 0 would invert the image); got {ColorJitter}.");
        Check(RandomAffine.Degrees is >= 0 and <= 180 && RandomAffine.Translate is >= 0 and <= 1 && RandomAffine.Scale is >= 0 and < 1,
            $"RandomAffine needs Degrees in [0, 180], Translate in [0, 1] (a share of the size) and Scale in [0, 1); got {RandomAffine}.");
        Check(RandomErasingProbability is >= 0 and <= 1, $"RandomErasingProbability must be in [0, 1]; got {RandomErasingProbability}.");
        Check(MixUpAlpha >= 0 && double.IsFinite(MixUpAlpha), $"MixUpAlpha must be 0 or more; got {MixUpAlpha}.");
        Check(CutMixAlpha >= 0 && double.IsFinite(CutMixAlpha), $"CutMixAlpha must be 0 or more; got {CutMixAlpha}.");
        Check(MixProbability is >= 0 and <= 1, $"MixProbability must be in [0, 1]; got {MixProbability}.");
        Check(MixUpAlpha + CutMixAlpha == 0 || BatchSize >= 2, $"MixUp and CutMix mix images within a batch: BatchSize must be at least 2; got {BatchSize}.");
        Check((ClassWeights is null ? 0 : 1) + (BalanceClasses ? 1 : 0) + (BalancedSampling ? 1 : 0) <= 1,
            "Set one of ClassWeights, BalanceClasses (both weigh the loss) and BalancedSampling (draws rows), not several: each alone balances the classes.");
        Check(ClassWeights is null || ClassWeights.All(w => w > 0 && float.IsFinite(w)),
            $"ClassWeights must all be positive and finite; got [{string.Join(", ", ClassWeights ?? [])}].");
        Check(GradientClipNorm is null or > 0, $"GradientClipNorm must be greater than 0; got {GradientClipNorm}.");
        Check(EmaDecay is null or > 0 and < 1, $"EmaDecay must be in (0, 1); got {EmaDecay}.");
        Check(Weights is null || Channels is null or 3, $"Pretrained weights take colour images: leave Channels unset (grey images are repeated into three channels); got {Channels}.");
        Check(TestTimeCropSize is null or >= 1, $"TestTimeCropSize must be at least 1; got {TestTimeCropSize}.");
        // The input size is known here for vectors and for a given ImageSize; otherwise Fit checks the crops against the model's size.
        var knownSize = VectorShape is var (_, h, w) ? (h, w) : ImageSize is int size ? (size, size) : ((int Height, int Width)?)null;
        if (TestTimeCropSize is >= 1 && knownSize is var (height, width) && TestTime.Problem(height, width) is string cropProblem)
            errors.Add($"TestTimeCropSize: {cropProblem}.");
        Check(ScoringBatchSize >= 1, $"ScoringBatchSize must be at least 1; got {ScoringBatchSize}.");
        Check(ImageSize is null or >= 1, $"ImageSize must be at least 1; got {ImageSize}.");
        Check(Channels is null or 1 or 3, $"Channels must be 1 or 3; got {Channels}.");
        Check(PixelScale > 0 && float.IsFinite(PixelScale), $"PixelScale must be greater than 0; got {PixelScale}.");
        Check(VectorShape is null || (VectorShape.Value.Channels is 1 or 3 && VectorShape.Value.Height >= 1 && VectorShape.Value.Width >= 1),
            $"VectorShape must be (1 or 3 channels, height >= 1, width >= 1); got {VectorShape}.");
        Check(Mean is null || Mean.All(float.IsFinite), "Mean must hold finite values.");
        Check(Std is null || Std.All(s => s > 0 && float.IsFinite(s)), "Std must hold values greater than 0.");
        Check((Mean is null) == (Std is null), "Set Mean and Std together, or neither (then both are measured on the training data).");
        Check(DeviceSelection.IsValid(Device), Messages.InvalidDevice(Device));
        if (errors.Count > 0)
            throw new ArgumentException("Invalid CNN trainer options:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => " - " + e)));
    }
}
