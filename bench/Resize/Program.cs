// What resizing costs per image when MLNetCnn reads images of another size than the network's: 320x240 camera-sized
// images into a 224x224 network, against images already 224x224, through the public featurizer with a network so
// small (one strided convolution) that reading and resizing dominate. Runs alternate; medians; milliseconds per image.
// The same program builds against older MLNetCnn versions, so a change of resizer is measured back to back.
// Usage: dotnet run -c Release --project bench/Resize [-- --rows 256 --repeats 7 --threads 2]
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetCnn;
using MLNetCnn.Samples;
using MLNetCnn.Zoo;
using TorchSharp.Modules;
using static MLNetCnn.Bench.Statistics;
using static TorchSharp.torch;

var arguments = new Arguments(args);
var rows = arguments.Get("--rows", 256);
var repeats = arguments.Get("--repeats", 7);
set_num_threads(arguments.Get("--threads", 2));

var ml = new MLContext(seed: 1);
using var network = new OneConvolution();
var resized = View(320, 240);
var fitting = View(224, 224);
var times = new Dictionary<string, List<double>> { ["320x240"] = [], ["224x224"] = [] };
for (var r = 0; r < repeats; r++)
{
    times["320x240"].Add(MillisecondsPerImage(resized));
    times["224x224"].Add(MillisecondsPerImage(fitting));
}
var (big, exact) = (Median(times["320x240"]), Median(times["224x224"]));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {rows} in-memory RGBA images to 224x224 | {big:F2} ms/image from 320x240 | {exact:F2} ms/image from 224x224 | resizing {big - exact:F2} ms/image |"));

IDataView View(int width, int height)
{
    var random = new Random(7);
    var images = Enumerable.Range(0, rows).Select(_ =>
    {
        var pixels = new byte[4 * width * height];
        random.NextBytes(pixels);
        return MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, pixels);
    }).ToList();
    return width == 224
        ? ml.Data.LoadFromEnumerable(images.Select(i => new ExactRow { Image = i }).ToList())
        : ml.Data.LoadFromEnumerable(images.Select(i => new CameraRow { Image = i }).ToList());
}

double MillisecondsPerImage(IDataView view)
{
    var featurizer = ml.Transforms.CnnFeaturize("Features", "Image", network, CnnPreprocessing.ForImages(network, 224), batchSize: 32,
        engine: CnnInferenceEngine.TorchSharp).Fit(view);
    var clock = Stopwatch.StartNew();
    var count = featurizer.Transform(view).GetColumn<VBuffer<float>>("Features").Count();
    return clock.Elapsed.TotalMilliseconds / count;
}

internal sealed class CameraRow
{
    [Microsoft.ML.Transforms.Image.ImageType(240, 320)]
    public MLImage Image { get; set; } = null!;
}

internal sealed class ExactRow
{
    [Microsoft.ML.Transforms.Image.ImageType(224, 224)]
    public MLImage Image { get; set; } = null!;
}

/// <summary>A network of one strided convolution and a pooled head: its forward costs little next to reading the images.</summary>
internal sealed class OneConvolution : CnnModel
{
    private readonly Conv2d conv;
    private Linear fc;

    public OneConvolution() : base("one_convolution", 4, 3)
    {
        conv = nn.Conv2d(3, 8, 3, stride: 4, padding: 1);
        fc = nn.Linear(8, 4);
        RegisterComponents();
    }

    public override int NumFeatures => 8;
    public override int DefaultImageSize => 224;
    public override int MinImageSize => 4;
    public override IReadOnlyList<string> ClassifierKeyPrefixes => ["fc."];
    protected override Tensor Features(Tensor images) => nn.functional.adaptive_avg_pool2d(conv.call(images), 1).flatten(1);
    protected override Tensor Head(Tensor features) => fc.call(features);

    protected override void ReplaceClassifier(int numClasses)
    {
        fc = nn.Linear(8, numClasses);
        ReplaceModule("fc", fc);
    }
}
