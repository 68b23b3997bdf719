// bf16 mixed precision against float32, per architecture: training steps (SGD) over one random batch, images/s, through the
// trainer's own route (the float32 master network, its bf16 copy loaded each step and its gradients stored back, channels-last
// batches: MixedPrecisionCopy and ComputeFormat) and, when a python with torch is given, PyTorch eager back to back at fp32,
// fp32 channels-last, autocast bf16 and autocast bf16 channels-last (bench/pytorch/mixed_precision.py). bf16 runs at speed only
// on CPUs with AVX512_BF16 or AMX; each table says what this CPU has. Rounds alternate the order (these machines drift).
// Usage: dotnet run -c Release --project bench/MixedPrecision [-- --repeats 3 --steps 4 --threads 2 --python /usr/bin/python3.13
//        --case resnet20,32,128 --contiguous 1]
// --case measures one network, input size and batch instead of the list; --contiguous 1 also measures our bf16 with contiguous
// batches (Runtime.MemoryFormat Contiguous), the figures behind the layout CnnMemoryFormat.Auto gives bf16 runs.
using System.Diagnostics;
using System.Globalization;
using MLNetCnn;
using MLNetCnn.Bench;
using MLNetCnn.Samples;
using MLNetCnn.Compute;
using MLNetCnn.Zoo;
using static MLNetCnn.Bench.Statistics;
using static TorchSharp.torch;

var arguments = new Arguments(args);
var repeats = arguments.Get("--repeats", 3);
var steps = arguments.Get("--steps", 4);
var threads = arguments.Get("--threads", 2);
var python = arguments.GetOrNull("--python");
set_num_threads(threads);

var contiguous = arguments.Get("--contiguous", 0) == 1;
var cases = arguments.GetOrNull("--case") is string one
    ? [(one.Split(',')[0], int.Parse(one.Split(',')[1], CultureInfo.InvariantCulture), int.Parse(one.Split(',')[2], CultureInfo.InvariantCulture))]
    : new (string Arch, int Size, int Batch)[] { ("resnet20", 32, 128), ("resnet18", 32, 64), ("resnet18", 224, 32), ("resnet50", 224, 16), ("googlenet", 224, 16), ("vgg11", 64, 32) };
Console.WriteLine($"CPU: {CpuFeatures.Describe()}, {threads} threads.");
Console.WriteLine();
Console.WriteLine($"| network, batch | ours float32 | ours bf16 (vs float32) |{(contiguous ? " ours bf16 contiguous |" : "")} PyTorch fp32 | PyTorch fp32 CL | PyTorch bf16 | PyTorch bf16 CL | ours bf16 vs PyTorch's best |");
Console.WriteLine($"|---|---:|---:|{(contiguous ? "---:|" : "")}---:|---:|---:|---:|---:|");
foreach (var (arch, size, batch) in cases)
{
    var ours = new List<double>[3] { [], [], [] };
    var theirs = new List<double[]>();
    for (var r = 0; r < repeats; r++)
    {
        foreach (var reduced in r % 2 == 0 ? new[] { false, true } : [true, false])
            ours[reduced ? 1 : 0].Add(Measure(arch, size, batch, reduced));
        if (contiguous)
            ours[2].Add(Measure(arch, size, batch, bf16: true, CnnMemoryFormat.Contiguous));
        if (python is not null)
            theirs.Add(PyTorchPeer.Run(python, "mixed_precision.py", "--arch", arch, "--size", $"{size}", "--batch", $"{batch}", "--steps", $"{steps}", "--threads", $"{threads}")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray());
    }
    var (fp32, bf16) = (Median(ours[0]), Median(ours[1]));
    var peer = " | | | | |";
    if (theirs.Count > 0)
    {
        var settings = Enumerable.Range(0, 4).Select(k => Median(theirs.Select(t => t[k]))).ToArray();
        peer = string.Create(CultureInfo.InvariantCulture, $" {settings[0]:F1} | {settings[1]:F1} | {settings[2]:F1} | {settings[3]:F1} | {bf16 / settings.Max():F2}x |");
    }
    var bf16Contiguous = contiguous ? string.Create(CultureInfo.InvariantCulture, $" {Median(ours[2]):F1} |") : "";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {arch} 3x{size}x{size} b{batch} | {fp32:F1} | {bf16:F1} ({bf16 / fp32:F2}x) |{bf16Contiguous}{peer}"));
}

// Each run uses the layout the trainer's Auto gives it unless told otherwise.
double Measure(string arch, int size, int batch, bool bf16, CnnMemoryFormat layout = CnnMemoryFormat.Auto)
{
    manual_seed(1);
    using var model = CnnZoo.Create(arch, 10, 3);
    using var copy = bf16 ? new MixedPrecisionCopy(model, ScalarType.BFloat16) : null;
    var format = ComputeFormat.Resolve(new() { Precision = bf16 ? CnnPrecision.BFloat16 : CnnPrecision.Float32, MemoryFormat = layout }, model, TorchSharp.DeviceType.CPU);
    using var images = randn(batch, 3, size, size);
    using var labels = randint(0, 10, [batch]);
    using var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
    model.train();
    var times = new List<double>();
    for (var step = 0; step <= steps; step++)   // the first step warms up
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        optimizer.zero_grad();
        var network = copy?.Load() ?? model;
        var loss = nn.functional.cross_entropy(network.call(format.TrainingInput(images)).to(ScalarType.Float32), labels);
        loss.backward();
        copy?.Store();
        optimizer.step();
        loss.item<float>();
        times.Add(clock.Elapsed.TotalSeconds);
    }
    return batch / Median(times.Skip(1));
}
