using TorchSharp;
using static TorchSharp.torch;

namespace MLNetCnn.Zoo;

/// <summary>
/// A classification CNN of the zoo: a TorchSharp module from images <c>N x C x H x W</c> to logits
/// <c>N x classes</c>, with one feature interface shared by every architecture (as timm's models have),
/// so featurizers, ensembles and comparisons are written once for all of them.
/// </summary>
/// <remarks>
/// The forward pass is <c>ForwardHead(ForwardFeatures(x))</c>. Field names follow torchvision's
/// state_dict keys, so weights saved from PyTorch load with <see cref="LoadWeights"/>.
/// </remarks>
public abstract class CnnModel : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the model; subclasses build their layers, then call <c>RegisterComponents()</c>.</summary>
    /// <param name="architecture">The name the class gives the model (its module name); <see cref="CnnZoo.Create"/> replaces it
    /// with the registry name it was built under.</param>
    /// <param name="numClasses">Number of output classes.</param>
    /// <param name="inChannels">Image channels the first convolution takes (3 for colour, 1 for grey).</param>
    protected CnnModel(string architecture, int numClasses, int inChannels) : base(architecture)
    {
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, $"{architecture}: numClasses must be at least 1.");
        if (inChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"{architecture}: inChannels must be at least 1 (3 for colour images, 1 for grey).");
        Architecture = architecture;
        NumClasses = numClasses;
        InChannels = inChannels;
    }

    /// <summary>
    /// The model's identity: the registry name <see cref="CnnZoo.Create"/> built it under (for example <c>resnet18</c>), which is
    /// what a checkpoint records and rebuilds it from. A model constructed directly keeps its class's own name, and a
    /// checkpoint of it can be loaded only when that name is registered for the same class.
    /// </summary>
    public string Architecture { get; internal set; }

    /// <summary>
    /// The rest of the model's identity: the registry arguments <see cref="CnnZoo.Create"/> built it with (e.g. a
    /// <see cref="ResNetArguments"/> with other blocks or width), recorded in checkpoints, saved models and ONNX metadata so that
    /// reloading rebuilds the same variant. Null for architectures that take no arguments and for models constructed directly.
    /// </summary>
    public object? Arguments { get; internal set; }

    /// <summary>
    /// The pixel normalisation the weights were trained with, for pretrained models (as torchvision's weights carry their
    /// transforms): scoring, featurizing and fine-tuning use it unless told otherwise. Null for freshly initialised weights.
    /// </summary>
    public PixelNormalization? DefaultNormalization { get; protected internal set; }

    /// <summary>The pretrained weights it was created with (<see cref="CnnZoo.Create"/>'s <c>weights:</c>), or null.</summary>
    public PretrainedWeights? PretrainedWeights { get; internal set; }

    /// <summary>Whether <see cref="ToOnnx"/> works: the zoo's architectures export themselves; a subclass outside the zoo does not.</summary>
    public bool CanExportOnnx => GetType().GetMethod(nameof(ExportFeatures), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!
        .DeclaringType != typeof(CnnModel);

    /// <summary>Number of classes the head predicts.</summary>
    public int NumClasses { get; private set; }

    /// <summary>Channels of the input images.</summary>
    public int InChannels { get; }

    /// <summary>Length of the pre-logits feature vector that <see cref="ForwardFeatures"/> returns.</summary>
    public abstract int NumFeatures { get; }

    /// <summary>The input height and width the architecture was designed for (224 for ImageNet nets, 32 for CIFAR nets).</summary>
    public abstract int DefaultImageSize { get; }

    /// <summary>The smallest height and width the network runs on (its downsampling would leave nothing below it).</summary>
    public abstract int MinImageSize { get; }

    /// <summary>
    /// The only input size the network takes, for architectures whose head has a fixed size
    /// (the 2012 AlexNet's flattened 6x6x256 features); <c>null</c> when any size from
    /// <see cref="MinImageSize"/> up works.
    /// </summary>
    public virtual int? FixedImageSize => null;

    /// <summary>Images <c>N x C x H x W</c> to pre-logits features <c>N x NumFeatures</c>.</summary>
    public Tensor ForwardFeatures(Tensor images)
    {
        CheckInput(images);
        return Features(images);
    }

    /// <summary>Pre-logits features <c>N x NumFeatures</c> to logits <c>N x NumClasses</c>.</summary>
    public Tensor ForwardHead(Tensor features)
    {
        if (features.dim() != 2 || features.shape[1] != NumFeatures)
            throw new ArgumentException(
                $"{Architecture}: ForwardHead takes features of shape N x {NumFeatures}; got {ShapeText(features)}.", nameof(features));
        return Head(features);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        return ForwardHead(ForwardFeatures(images)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The forward pass of one training batch: the logits, and the loss to minimise. Architectures with
    /// auxiliary heads (GoogLeNet) add their weighted auxiliary losses here while in training mode; the
    /// others return <c>loss(forward(x), y)</c>.
    /// </summary>
    /// <param name="images">A batch of images.</param>
    /// <param name="targets">Class indices, <c>N</c> int64 values.</param>
    /// <param name="loss">The criterion, for example cross-entropy with label smoothing.</param>
    public virtual (Tensor Loss, Tensor Logits) TrainingForward(Tensor images, Tensor targets, Func<Tensor, Tensor, Tensor> loss)
    {
        var logits = forward(images);
        return (loss(logits, targets), logits);
    }

    /// <summary>
    /// Makes the model's dropout draw its masks from <paramref name="generator"/> (a training run's own), or from libtorch's
    /// process-wide generator again when null: the trainer hands each run's generator to its model, so that runs in parallel
    /// threads give the weights each gives alone.
    /// </summary>
    public void UseGenerator(Generator? generator)
    {
        foreach (var dropout in modules().OfType<RunDropout>())
            dropout.Generator = generator;
    }

    /// <summary>
    /// Draws every weight afresh from <paramref name="generator"/>, as the architecture initialises a new network, so that a training
    /// run's initial weights come from the run's own generator rather than from libtorch's process-wide one. The zoo's architectures
    /// do and return true; a class of your own returns false and is left as it is, unless it overrides <see cref="DrawInitialWeights"/>.
    /// </summary>
    /// <param name="generator">A generator of the device the weights are on (a CPU one for a model as <see cref="CnnZoo.Create"/> builds it).</param>
    public bool InitialiseFrom(Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return DrawInitialWeights(generator);
    }

    /// <summary>
    /// Draws every weight from <paramref name="generator"/> as the architecture's constructor initialises them and returns true;
    /// the default, for classes outside the zoo, changes nothing and returns false (training then seeds libtorch's default
    /// generator while it builds the model, under a lock).
    /// </summary>
    protected virtual bool DrawInitialWeights(Generator generator) => false;

    /// <summary>Replaces the classifier with a freshly initialised one for <paramref name="numClasses"/> classes (fine-tuning).</summary>
    /// <param name="numClasses">The new class count.</param>
    /// <param name="generator">Where the new layers' weights are drawn from (as PyTorch initialises a new linear layer); null: libtorch's default generator.</param>
    public void ResetClassifier(int numClasses, Generator? generator = null)
    {
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, $"{Architecture}: numClasses must be at least 1.");
        var reference = parameters().First();
        var (dtype, device) = (reference.dtype, reference.device);
        ReplaceClassifier(numClasses);
        NumClasses = numClasses;
        if (generator is not null)
            foreach (var (name, layer) in named_modules())
                if (ClassifierKeyPrefixes.Any(prefix => (name + ".").StartsWith(prefix, StringComparison.Ordinal)))
                    WeightInitialisation.LayerDefaults(layer, generator);
        this.to(dtype).to(device);
    }

    /// <summary>Loads weights from a PyTorch state_dict (<c>.pt</c>/<c>.pth</c>), a <c>.safetensors</c> file or TorchSharp's own format (any other extension).</summary>
    /// <param name="path">The weights file.</param>
    /// <param name="strict">When true, every key of the model must be in the file and the file must hold no other key.</param>
    /// <param name="skip">Key prefixes to leave out, for example the classifier when fine-tuning to another class count (see <see cref="ClassifierKeyPrefixes"/>).</param>
    /// <exception cref="WeightsMismatchException">Keys are missing, unexpected or of the wrong shape.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt or holds more than a state_dict.</exception>
    public void LoadWeights(string path, bool strict = true, IReadOnlyCollection<string>? skip = null)
        => WeightFile.LoadInto(this, Architecture, path, strict, skip);

    /// <summary>Saves the weights; the extension chooses the format as in <see cref="LoadWeights"/>.</summary>
    public void SaveWeights(string path) => WeightFile.Save(this, path);

    /// <summary>
    /// Writes the network as an ONNX model (opset 13, dynamic batch) for inputs of
    /// <paramref name="channels"/> x <paramref name="height"/> x <paramref name="width"/>, in eval mode: convolutions (groups),
    /// batch norm, ReLU, LRN, max/average pooling (ceil mode), adaptive pooling at that size, linear layers, concatenation,
    /// residual additions. ONNX Runtime and ML.NET's <c>ApplyOnnxModel</c> run it.
    /// </summary>
    /// <param name="path">The .onnx file to write (atomically: write, then rename).</param>
    /// <param name="channels">Input channels.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <param name="options">Normalisation and softmax inside the graph, value names.</param>
    public void ExportOnnx(string path, int channels, int height, int width, OnnxExportOptions? options = null)
        => AtomicFile.Write(path, ToOnnx(channels, height, width, options));

    /// <summary>The ONNX model as bytes; see <see cref="ExportOnnx"/>.</summary>
    public byte[] ToOnnx(int channels, int height, int width, OnnxExportOptions? options = null)
        => OnnxExport.Export(this, channels, height, width, options ?? new OnnxExportOptions());

    /// <summary>Adds the network's ONNX nodes (eval mode): features, then head.</summary>
    internal string ExportGraph(OnnxGraph graph, string input) => ExportHead(graph, ExportFeatures(graph, input));

    /// <summary>ONNX nodes of <see cref="ForwardFeatures"/>; the zoo's architectures override it.</summary>
    internal virtual string ExportFeatures(OnnxGraph graph, string input)
        => throw new NotSupportedException($"{Architecture} ({GetType().Name}) has no ONNX export; the zoo's architectures have one.");

    /// <summary>ONNX nodes of <see cref="ForwardHead"/>; the zoo's architectures override it.</summary>
    internal virtual string ExportHead(OnnxGraph graph, string features)
        => throw new NotSupportedException($"{Architecture} ({GetType().Name}) has no ONNX export; the zoo's architectures have one.");

    /// <summary>The state_dict key prefixes of the classifier layers that <see cref="ResetClassifier"/> replaces.</summary>
    public abstract IReadOnlyList<string> ClassifierKeyPrefixes { get; }

    /// <summary>The architecture's pre-logits features.</summary>
    protected abstract Tensor Features(Tensor images);

    /// <summary>The architecture's classifier over pre-logits features.</summary>
    protected abstract Tensor Head(Tensor features);

    /// <summary>Swaps in new classifier layers (via <c>register_module</c>, so state_dict keys stay the same).</summary>
    protected abstract void ReplaceClassifier(int numClasses);

    /// <summary>Replaces a registered submodule, keeping its state_dict key.</summary>
    protected void ReplaceModule(string name, nn.Module module)
    {
        register_module(name, null!);
        register_module(name, module);
    }

    private void CheckInput(Tensor images)
    {
        if (images.dim() != 4)
            throw new ArgumentException(
                $"{Architecture}: input must be a batch of images N x {InChannels} x H x W; got shape {ShapeText(images)}.", nameof(images));
        if (images.shape[1] != InChannels)
            throw new ArgumentException(
                $"{Architecture}: input has {images.shape[1]} channels but the model was created with inChannels: {InChannels} " +
                $"(shape {ShapeText(images)}). Create the model with inChannels: {images.shape[1]}, or convert the images.", nameof(images));
        long h = images.shape[2], w = images.shape[3];
        if (FixedImageSize is int size && (h != size || w != size))
            throw new ArgumentException(
                $"{Architecture}: its classifier takes a fixed input of {size}x{size}; got {h}x{w}. Resize the images to {size}x{size}.", nameof(images));
        if (h < MinImageSize || w < MinImageSize)
            throw new ArgumentException(
                $"{Architecture}: input of {h}x{w} is too small; the network needs at least {MinImageSize}x{MinImageSize}. Resize the images up.", nameof(images));
    }

    internal static string ShapeText(Tensor t) => string.Join("x", t.shape);
}
