using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetCnn.Zoo;

/// <summary>
/// AlexNet in two variants: torchvision's single-GPU one (64-192-384-256-256 filters, adaptive 6x6 pool)
/// and the 2012 paper's network as the lecture draws it (96-256-384-384-256 filters, LRN after conv1
/// and conv2, conv2/4/5 split in two groups for the two GTX 580s, 227x227 input only).
/// </summary>
/// <remarks>State_dict keys follow torchvision: <c>features.0.weight</c> ... <c>classifier.6.bias</c>.</remarks>
public sealed class AlexNet : FullyConnectedHeadModel
{
    private readonly bool paper2012;

    private AlexNet(string architecture, bool paper2012, int numClasses, int inChannels, double dropout)
        : base(architecture, numClasses, inChannels,
            paper2012 ? PaperFeatures(inChannels) : TorchvisionFeatures(inChannels),
            // The paper's head sees exactly 6x6x256 (227x227 input); torchvision pools any size down to 6x6.
            paper2012 ? Identity() : AdaptiveAvgPool2d(6),
            Classifier(numClasses, dropout))
    {
        this.paper2012 = paper2012;
    }

    private static Sequential Classifier(int numClasses, double dropout) => Sequential(
        ("0", new RunDropout(dropout)),
        ("1", Linear(256 * 6 * 6, 4096)),
        ("2", ReLU()),
        ("3", new RunDropout(dropout)),
        ("4", Linear(4096, 4096)),
        ("5", ReLU()),
        ("6", Linear(4096, numClasses)));

    /// <summary>torchvision's AlexNet ("One weird trick" variant): 61,100,840 parameters with 1000 classes.</summary>
    public static AlexNet Torchvision(int numClasses = 1000, int inChannels = 3, double dropout = 0.5)
        => new("alexnet", paper2012: false, numClasses, inChannels, dropout);

    /// <summary>The 2012 paper's AlexNet: 227x227 input, LRN, grouped convolutions; 60,965,224 parameters with 1000 classes.</summary>
    public static AlexNet Paper2012(int numClasses = 1000, int inChannels = 3, double dropout = 0.5)
        => new("alexnet_2012", paper2012: true, numClasses, inChannels, dropout);

    /// <inheritdoc />
    public override int DefaultImageSize => paper2012 ? 227 : 224;

    /// <inheritdoc />
    public override int MinImageSize => paper2012 ? 227 : 63;

    /// <inheritdoc />
    public override int? FixedImageSize => paper2012 ? 227 : null;

    private static Sequential TorchvisionFeatures(int inChannels) => Sequential(
        ("0", Conv2d(inChannels, 64, kernel_size: 11, stride: 4, padding: 2)),
        ("1", ReLU()),
        ("2", MaxPool2d(kernel_size: 3, stride: 2)),
        ("3", Conv2d(64, 192, kernel_size: 5, padding: 2)),
        ("4", ReLU()),
        ("5", MaxPool2d(kernel_size: 3, stride: 2)),
        ("6", Conv2d(192, 384, kernel_size: 3, padding: 1)),
        ("7", ReLU()),
        ("8", Conv2d(384, 256, kernel_size: 3, padding: 1)),
        ("9", ReLU()),
        ("10", Conv2d(256, 256, kernel_size: 3, padding: 1)),
        ("11", ReLU()),
        ("12", MaxPool2d(kernel_size: 3, stride: 2)));

    /// <inheritdoc />
    protected override bool DrawInitialWeights(Generator generator)
    {
        WeightInitialisation.LayerDefaults(this, generator);   // torchvision's AlexNet keeps PyTorch's layer defaults
        return true;
    }

    // Krizhevsky et al. 2012: LRN with k=2, n=5, alpha=1e-4, beta=0.75; groups=2 where the two GPUs
    // only saw their own half of the previous layer (conv2, conv4, conv5).
    private static Sequential PaperFeatures(int inChannels) => Sequential(
        ("0", Conv2d(inChannels, 96, kernel_size: 11, stride: 4)),           // 96 x 55 x 55
        ("1", ReLU()),
        ("2", LocalResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, k: 2.0)),
        ("3", MaxPool2d(kernel_size: 3, stride: 2)),                          // 96 x 27 x 27
        ("4", Conv2d(96, 256, kernel_size: 5, padding: 2, groups: 2)),        // 256 x 27 x 27
        ("5", ReLU()),
        ("6", LocalResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, k: 2.0)),
        ("7", MaxPool2d(kernel_size: 3, stride: 2)),                          // 256 x 13 x 13
        ("8", Conv2d(256, 384, kernel_size: 3, padding: 1)),                  // 384 x 13 x 13
        ("9", ReLU()),
        ("10", Conv2d(384, 384, kernel_size: 3, padding: 1, groups: 2)),
        ("11", ReLU()),
        ("12", Conv2d(384, 256, kernel_size: 3, padding: 1, groups: 2)),      // 256 x 13 x 13
        ("13", ReLU()),
        ("14", MaxPool2d(kernel_size: 3, stride: 2)));                        // 256 x 6 x 6
}
