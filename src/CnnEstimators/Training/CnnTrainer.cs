using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetCnn.Compute;
using MLNetCnn.Data;
using MLNetCnn.Internal;
using MLNetCnn.Quantization;
using MLNetCnn.Scoring;
using MLNetCnn.Training;
using MLNetCnn.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetCnn;

/// <summary>
/// Trains a zoo CNN (or your own <see cref="CnnModel"/>) on an image column and a key label column, as any
/// ML.NET multiclass trainer: <c>mlContext.MulticlassClassification.Trainers.Cnn(...)</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Machine learning task</term><description>Multiclass classification</description></item>
/// <item><term>Input columns</term><description>Label: key (UInt32); Image: MLImage or float vector of C*H*W</description></item>
/// <item><term>Output columns</term><description>Score: vector of Single (softmax); PredictedLabel: key with the label's values</description></item>
/// <item><term>Normalization</term><description>Done by the trainer (scale, per-channel mean and std, recorded with the model)</description></item>
/// <item><term>Caching</term><description>Rows are read once into tensors within MemoryBudgetBytes, else streamed</description></item>
/// <item><term>Device</term><description>CUDA when available (TorchSharp CUDA backend), CPU otherwise</description></item>
/// </list>
/// </remarks>
public sealed class CnnTrainer : IEstimator<CnnClassifierTransformer>
{
    private const int StatisticsRows = 10_000;
    private readonly IHost host;

    internal CnnTrainer(IHostEnvironment environment, CnnTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        host = environment.Register(nameof(CnnTrainer));
        Options = options;
    }

    /// <summary>The options this trainer was built with.</summary>
    public CnnTrainerOptions Options { get; }

    /// <inheritdoc />
    public CnnClassifierTransformer Fit(IDataView input) => Fit(input, Options.Validation.Data);

    /// <summary>Trains on <paramref name="trainData"/>, validating after each epoch on <paramref name="validationData"/>.</summary>
    public CnnClassifierTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var options = Options;
        var started = options.Clock.GetTimestamp();
        using var channel = host.Start("Training");
        WarnOfSgdScaleRate(options, channel);
        // Refused before the data is read: a precision or a scoring engine this device cannot run.
        var device = DeviceSelection.Resolve(options.Runtime.Device).type;
        ComputeFormat.Precision(options.Runtime, device);
        if (options.Runtime.InferenceEngine == CnnInferenceEngine.TorchSharpBFloat16)
            ComputeFormat.RequireBFloat16Scoring(device, options.Model.Instance?.Architecture ?? options.Model.Architecture, options.Runtime.AssumeBFloat16Units);
        var resumed = options.Checkpoint.ResumeFrom is string resume ? TrainingCheckpoint.Read(resume) : null;
        using var run = Prepare(trainData, validationData, resumed, channel);
        channel.Info(MessageSensitivity.None,
            $"Training {run.Model.Architecture} on {run.Device.type}: {run.Train.Count} rows, {run.LabelType.Count} classes, " +
            $"{run.Preprocessing.Channels}x{run.Preprocessing.Height}x{run.Preprocessing.Width} input, seed {run.Seed}.");
        var session = new TrainingSession(options, run.Model, run.Preprocessing, run.Device, channel, ClassWeights(run, channel));
        session.Run(run.Train, run.Validation, run.Seed, resumed, started);
        var outputs = new ClassifierOutputs(options.Columns.Score, options.Columns.PredictedLabel, run.LabelType, run.LabelColumn.Annotations);
        var quantized = options.Runtime.InferenceEngine == CnnInferenceEngine.OnnxRuntimeInt8 ? Quantize(run, trainData, channel) : null;
        return new CnnClassifierTransformer(new Persistence.ClassifierCheckpoint.Contents(run.Model, run.Preprocessing, options.Columns.Image, outputs,
            options.Runtime.ScoringBatchSize, options.Runtime.SkipUnreadableImages, session.History, options.TestTime.Views, quantized, session.End,
            AsRun(options, run.Model)), options.Runtime.InferenceEngine);
    }

    /// <summary>
    /// The options as the run used them, for the record: the architecture and arguments of the model actually built (a model
    /// given as an instance included), without the objects and hooks that are not configuration.
    /// </summary>
    internal static CnnTrainerOptions AsRun(CnnTrainerOptions options, CnnModel model) => options with
    {
        Model = options.Model with { Architecture = model.Architecture, Arguments = model.Arguments, Instance = null },
        Validation = options.Validation with { Data = null },
        Progress = null, CancellationToken = default, EpochEnd = null, Clock = TimeProvider.System,
    };

    // Adam's steps are about the rate in size whatever the gradient's scale, so rates meant for SGD (0.05, 0.1) make it jump
    // around rather than learn; options written before AdamW became the default set such rates without naming an optimiser.
    private const double AdamRateLimit = 0.01;

    private static void WarnOfSgdScaleRate(CnnTrainerOptions options, IChannel channel)
    {
        if (options.Optimizer.Kind is CnnOptimizer.Adam or CnnOptimizer.AdamW && options.Optimizer.LearningRate > AdamRateLimit)
            channel.Warning(MessageSensitivity.None,
                $"LearningRate {options.Optimizer.LearningRate:G3} is high for {options.Optimizer.Kind} (the default optimiser), which learns at 1e-4 to {AdamRateLimit:G1}: " +
                "a rate of that size is SGD's. Set Optimizer = CnnOptimizer.Sgd to train with SGD at this rate, or lower the rate (the default is 0.002).");
    }

    // The int8 engine: the trained network calibrated on rows spread over the training data.
    private byte[] Quantize(PreparedRun run, IDataView trainData, IChannel channel)
    {
        var graph = OnnxQuantizer.QuantizeNetwork(run.Model, run.Preprocessing, NetworkOutput.Probabilities, Options.TestTime.Views,
            CalibrationRows.Read(trainData, Options.Columns.Image, run.Preprocessing, options: null));
        channel.Info(MessageSensitivity.None, $"Quantized to int8, calibrated on up to {new CnnQuantizationOptions().MaxCalibrationRows} training rows.");
        return graph;
    }

    /// <summary>The learning-rate range test on <paramref name="data"/>: see <see cref="CnnOperationsCatalog.FindLearningRate"/>.</summary>
    internal CnnLearningRateCurve FindLearningRate(IDataView data, int steps, double minRate, double maxRate)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var channel = host.Start("Learning-rate finder");
        using var run = Prepare(data, validationData: null, resumed: null, channel);
        var batches = (run.Train.Count + Options.Schedule.BatchSize - 1) / Options.Schedule.BatchSize;
        if (batches < 2)
            throw new ArgumentException(
                $"The learning-rate finder needs at least 2 batches; the data has {run.Train.Count} row(s) at Schedule.BatchSize {Options.Schedule.BatchSize}. Give more rows or a smaller BatchSize.",
                nameof(data));
        return new TrainingSession(Options, run.Model, run.Preprocessing, run.Device, channel).FindLearningRate(run.Train, run.Seed, steps, minRate, maxRate);
    }

    /// <summary>The loss's class weights: the options' (one per class), or inverse frequencies counted on the training rows.</summary>
    private float[]? ClassWeights(PreparedRun run, IChannel channel)
    {
        var classes = (int)run.LabelType.Count;
        if (Options.Regularization.ClassWeights is float[] given)
            return given.Length == classes
                ? given
                : throw new ArgumentException($"Regularization.ClassWeights has {given.Length} value(s); the label has {classes} classes, so give one weight per class, in key order.");
        if (!Options.Regularization.BalanceClasses)
            return null;
        var counts = new long[classes];
        foreach (var batch in run.Train.Batches(4096, generator: null))
            using (batch)
                foreach (var label in batch.Labels.data<long>())
                    counts[label]++;
        var total = counts.Sum();
        var weights = counts.Select(n => n == 0 ? 0f : (float)(total / ((double)classes * n))).ToArray();
        channel.Info(MessageSensitivity.None, $"Class weights (inverse frequency): {string.Join(", ", weights.Select(w => w.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))}.");
        return weights;
    }

    /// <summary>What a run works on: the network, its preprocessing, the data read into batch sources, the device.</summary>
    private sealed record PreparedRun(CnnModel Model, CnnPreprocessing Preprocessing, IBatchSource Train, IBatchSource? Validation, Device Device,
        KeyDataViewType LabelType, DataViewSchema.Column LabelColumn, int Seed) : IDisposable
    {
        public void Dispose()
        {
            Train.Dispose();
            Validation?.Dispose();
        }
    }

    private PreparedRun Prepare(IDataView trainData, IDataView? validationData, TrainingCheckpoint? resumed, IChannel channel)
    {
        var options = Options;
        // One pass over the columns of each data view, before anything is built or read.
        var (labelColumn, labelType) = InputColumns.CheckLabel(trainData.Schema, options.Columns.Label);
        var (imageColumn, kind) = InputColumns.FindImage(trainData.Schema, options.Columns.Image, options.Input.VectorShape);
        if (validationData is not null)
        {
            InputColumns.CheckLabel(validationData.Schema, options.Columns.Label);
            if (InputColumns.FindImage(validationData.Schema, options.Columns.Image, options.Input.VectorShape).Kind != kind)
                throw new ArgumentException($"The validation data's column '{options.Columns.Image}' must be of the same kind as the training data's ({kind}).",
                    nameof(validationData));
        }
        var seed = options.Runtime.Seed ?? host.Rand.Next();
        var model = CreateModel(options, kind, (int)labelType.Count, seed, resumed?.Counters, channel);
        var (preprocessing, measureStatistics) = Preprocess(options, kind, model);
        // Before any row is read; the model is left alone (it may be the caller's own).
        if (options.TestTime.Views.Problem(preprocessing.Height, preprocessing.Width) is string problem)
            throw new ArgumentException($"TestTime.CropSize: {problem}.");
        var (train, validation) = ReadData(options, trainData, validationData, imageColumn, labelColumn, preprocessing, seed);
        try
        {
            CheckTrainingRows(train, labelType, channel);
            if (options.Regularization.BalancedSampling)
                (train as InMemoryBatchSource ?? throw new InvalidOperationException(
                    $"Regularization.BalancedSampling needs the training rows in memory, but they take more than Runtime.MemoryBudgetBytes ({options.Runtime.MemoryBudgetBytes:N0} bytes). " +
                    "Raise Runtime.MemoryBudgetBytes, or weigh the loss with Regularization.BalanceClasses instead.")).BalancedSampling = true;
            if (measureStatistics)
            {
                var (mean, std) = train.ChannelStatistics(preprocessing.PixelScale, StatisticsRows);
                preprocessing = preprocessing with { Normalization = preprocessing.Normalization with { Mean = mean, Std = std } };
            }
            var device = DeviceSelection.Resolve(options.Runtime.Device);
            if (options.Runtime.Threads is int threads)
                set_num_threads(threads);
            model.to(device);
            return new PreparedRun(model, preprocessing, train, validation, device, labelType, labelColumn, seed);
        }
        catch
        {
            train.Dispose();
            validation?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        if (!columns.TryGetValue(Options.Columns.Image, out var image))
            throw Messages.MissingColumn("image", Options.Columns.Image, columns.Keys, nameof(inputSchema));
        var isImage = image.ItemType is Microsoft.ML.Transforms.Image.ImageDataViewType;
        var isVector = image.Kind != SchemaShape.Column.VectorKind.Scalar && image.ItemType == NumberDataViewType.Single;
        if (!isImage && !isVector)
            throw new ArgumentException($"Column '{Options.Columns.Image}' must be an image (MLImage) or a vector of floats; found {image.ItemType}.", nameof(inputSchema));
        if (!columns.TryGetValue(Options.Columns.Label, out var label))
            throw Messages.MissingColumn("label", Options.Columns.Label, columns.Keys, nameof(inputSchema));
        if (!label.IsKey)
            throw new ArgumentException(
                $"Label column '{Options.Columns.Label}' must be a key; found {label.ItemType}. Convert it with mlContext.Transforms.Conversion.MapValueToKey(\"{Options.Columns.Label}\").",
                nameof(inputSchema));
        var keyValues = label.Annotations.FirstOrDefault(a => a.Name == ClassifierOutputs.KeyValues);
        return ClassifierOutputs.OutputShape(inputSchema, Options.Columns.Score, Options.Columns.PredictedLabel, keyValues.Name is null ? null : keyValues);
    }

    private static CnnModel CreateModel(CnnTrainerOptions options, CnnInputKind kind, int classes, int seed,
        TrainingCheckpoint.State? resumed, IChannel channel)
    {
        if (options.Model.Instance is CnnModel given)
        {
            if (options.Input.Channels is int channels && channels != given.InChannels)
                throw new ArgumentException(
                    $"The model '{given.Architecture}' takes {given.InChannels}-channel input but Input.Channels is {channels}. " +
                    $"Leave Input.Channels unset (images are converted to {given.InChannels} channels) or give a model built with inChannels: {channels}.");
            if (kind == CnnInputKind.Vector && options.Input.Channels is null && options.Input.VectorShape!.Value.Channels != given.InChannels)
                throw new ArgumentException(
                    $"The model '{given.Architecture}' takes {given.InChannels}-channel input but the vectors have {options.Input.VectorShape.Value.Channels} channel(s). " +
                    $"Set Input.Channels = {given.InChannels} to convert them, or give a model built with inChannels: {options.Input.VectorShape.Value.Channels}.");
            if (given.NumClasses != classes)
            {
                channel.Info(MessageSensitivity.None, $"Resetting the classifier of {given.Architecture} from {given.NumClasses} to {classes} classes.");
                using var generator = new Generator(InitialisationGate.InitialisationSeed(seed));
                InitialisationGate.BuildAside(() => { given.ResetClassifier(classes, generator); return given; });
            }
            return given;
        }
        // A run from pretrained weights resumes by building the same pretrained network (its preprocessing comes with the weights),
        // whose registry name can differ from the options' (the offline CNTK weights build resnet18_dnnfeaturizer), then restoring the checkpoint.
        var architecture = resumed is not null && options.Model.Weights is null ? resumed.Architecture : options.Model.Architecture;
        if (resumed is not null && !CnnZoo.IsRegistered(architecture))
            throw new InvalidDataException(
                $"Checkpoint '{options.Checkpoint.ResumeFrom}': architecture '{architecture}' is not registered; register it with CnnZoo.Register before resuming.");
        var inChannels = options.Model.Weights is not null ? 3 : options.Input.Channels ?? (kind == CnnInputKind.Vector ? options.Input.VectorShape!.Value.Channels : 3);
        if (resumed is not null && (resumed.NumClasses != classes || resumed.InChannels != inChannels))
            throw new ArgumentException(
                $"Checkpoint '{options.Checkpoint.ResumeFrom}' holds a {resumed.Architecture} with {resumed.NumClasses} classes and {resumed.InChannels} channels; " +
                $"the data has {classes} classes and the options ask for {inChannels} channels.");
        var arguments = resumed is not null ? ResumedArguments(options, resumed) : options.Model.Arguments;
        using var initialisation = new Generator(InitialisationGate.InitialisationSeed(seed));
        lock (InitialisationGate.Lock)
        {
            using var processState = Generator.Default.get_state();
            manual_seed(seed);   // what a model class outside the zoo draws its initial weights from as it is built
            if (options.Model.Weights is null)
            {
                var model = CnnZoo.Create(architecture, classes, inChannels, arguments: arguments);
                // The zoo's architectures draw them again from the run's own generator, and the process's generator is left as it was.
                if (model.InitialiseFrom(initialisation))
                    Generator.Default.set_state(processState);
                return model;
            }
            var pretrained = CnnZoo.Create(architecture, classes, inChannels, options.Model.Weights, resumed is null ? arguments : null);
            if (resumed is not null && pretrained.Architecture != resumed.Architecture)
            {
                pretrained.Dispose();
                throw new ArgumentException(
                    $"Checkpoint '{options.Checkpoint.ResumeFrom}' holds a {resumed.Architecture}, but the options' {architecture} with weights {options.Model.Weights} builds a {pretrained.Architecture}: resume with the options the run began with.");
            }
            var theirs = pretrained.PretrainedWeights!.Categories.Count;
            if (theirs != classes)
                pretrained.ResetClassifier(classes, initialisation);   // the new classifier from the run's own generator
            Generator.Default.set_state(processState);
            channel.Info(MessageSensitivity.None, theirs == classes
                ? $"Starting from {pretrained.PretrainedWeights}, its classifier kept ({classes} classes)."
                : theirs == 0
                    ? $"Starting from {pretrained.PretrainedWeights}, which has no classifier: a new one for {classes} classes."
                    : $"Starting from {pretrained.PretrainedWeights}; its classifier was reset from {theirs} to {classes} classes.");
            return pretrained;
        }
    }

    // A checkpoint rebuilds the variant it was written by; options that ask for another one are refused rather than ignored.
    private static object? ResumedArguments(CnnTrainerOptions options, TrainingCheckpoint.State resumed)
    {
        object? saved;
        try
        {
            saved = CnnZoo.ArgumentsFromJson(resumed.Architecture, resumed.ArchitectureArguments);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Checkpoint '{options.Checkpoint.ResumeFrom}': {e.Message}", e);
        }
        if (options.Model.Arguments is not null && !Equals(options.Model.Arguments, saved ?? CnnZoo.DefaultArguments(resumed.Architecture)))
            throw new ArgumentException(
                $"Checkpoint '{options.Checkpoint.ResumeFrom}' holds {resumed.Architecture} with arguments {resumed.ArchitectureArguments ?? "(the defaults)"}, " +
                $"but Model.Arguments asks for {CnnZoo.ArgumentsToJson(options.Model.Arguments)}: leave them unset to resume, or start a new run.");
        return saved;
    }

    // The network's input: the options' size or the model's; the options' mean and std, else a pretrained model's own
    // normalisation, else statistics measured on the training data (MeasureStatistics).
    private static (CnnPreprocessing Preprocessing, bool MeasureStatistics) Preprocess(CnnTrainerOptions options, CnnInputKind kind, CnnModel model)
    {
        var vector = options.Input.VectorShape;
        var pretrained = model.DefaultNormalization;
        var designSize = pretrained?.Height ?? model.DefaultImageSize;
        var (height, width) = options.Input.ImageSize is int size
            ? (size, size)
            : kind == CnnInputKind.Vector ? (vector!.Value.Height, vector.Value.Width) : (designSize, designSize);
        if (model.FixedImageSize is int fixedSize && (height != fixedSize || width != fixedSize))
            throw new ArgumentException($"{model.Architecture} takes only {fixedSize}x{fixedSize} input; set Input.ImageSize = {fixedSize}.");
        if (Math.Min(height, width) < model.MinImageSize)
            throw new ArgumentException(
                $"{model.Architecture} needs input of at least {model.MinImageSize}x{model.MinImageSize}; the images would be {height}x{width}. Set Input.ImageSize to {model.MinImageSize} or more.");
        var channels = model.InChannels;
        if (options.Input.Mean is not null && (options.Input.Mean.Length != channels || options.Input.Std!.Length != channels))
            throw new ArgumentException($"Mean and Std must have one value per channel ({channels}); got {options.Input.Mean.Length} and {options.Input.Std!.Length}.");
        var normalization = options.Input.Mean is not null
            ? new PixelNormalization(channels, height, width, options.Input.PixelScale, options.Input.Mean, options.Input.Std!)
            : pretrained is not null
                ? pretrained with { Height = height, Width = width }
                : PixelNormalization.UnitScale(channels, height, width) with { Scale = options.Input.PixelScale };
        var preprocessing = new CnnPreprocessing(kind, normalization, kind == CnnInputKind.Vector ? vector : null);
        return (preprocessing, options.Input.Mean is null && pretrained is null);
    }

    private (IBatchSource Train, IBatchSource? Validation) ReadData(CnnTrainerOptions options, IDataView trainData, IDataView? validationData,
        DataViewSchema.Column image, DataViewSchema.Column label, CnnPreprocessing preprocessing, int seed)
    {
        var token = options.CancellationToken;
        IBatchSource Read(IDataView data, DataViewSchema.Column img, DataViewSchema.Column lbl) =>
            (IBatchSource?)InMemoryBatchSource.TryRead(data, img, lbl, preprocessing, options.Runtime.SkipUnreadableImages, options.Runtime.MemoryBudgetBytes, token)
            ?? new StreamingBatchSource(data, img, lbl, preprocessing, options.Runtime.SkipUnreadableImages, options.Runtime.ShuffleBufferRows, token);

        var train = Read(trainData, image, label);
        if (validationData is not null)
            return (train, Read(validationData, validationData.Schema[options.Columns.Image], validationData.Schema[options.Columns.Label]));
        if (options.Validation.Fraction == 0)
            return (train, null);
        if (train is not InMemoryBatchSource cached)
            throw new ArgumentException(
                "Validation.Fraction needs the training rows in memory, but they exceed Runtime.MemoryBudgetBytes: pass Validation.Data instead, or raise the budget.");
        using (cached)
        {
            using var generator = new Generator((ulong)seed ^ 0x5EED);
            return cached.Split(options.Validation.Fraction, generator);
        }
    }

    private static void CheckTrainingRows(IBatchSource train, KeyDataViewType labelType, IChannel channel)
    {
        var skipped = $"{train.SkippedMissingLabels} row(s) without a label and {train.SkippedUnreadableImages} with an unreadable image were skipped";
        if (train.Count == 0)
            throw new ArgumentException($"The training data has no usable rows ({skipped}).");
        if (train.SkippedMissingLabels + train.SkippedUnreadableImages > 0)
            channel.Warning(MessageSensitivity.None, $"{skipped}.");
        if (train.Classes.Count < 2)
            throw new ArgumentException(
                $"The training data holds only one class (key {train.Classes.Single() + 1} of {labelType.Count}); a classifier needs examples of at least two classes.");
    }
}
