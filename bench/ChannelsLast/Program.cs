// Channels-last against contiguous batches, per architecture: training steps (SGD) and eval forwards of the same network
// over one random batch, images/s, in TorchSharp (what CnnMemoryFormat and the TorchSharp engine choose between) and, when
// a python with torch is given, in PyTorch eager (bench/pytorch/channels_last.py) back to back. Rounds alternate the layouts
// (these machines drift); medians printed as Markdown rows. The figures behind CnnMemoryFormat.Auto.
// Usage: dotnet run -c Release --project bench/ChannelsLast [-- --repeats 3 --steps 5 --threads 2 --python /usr/bin/python3.13]
using System.Diagnostics;
using System.Globalization;
using MLNetCnn.Bench;
using MLNetCnn.Compute;
using MLNetCnn.Samples;
using MLNetCnn.Zoo;
using static MLNetCnn.Bench.Statistics;
using static TorchSharp.torch;

var arguments = new Arguments(args);
var repeats = arguments.Get("--repeats", 3);
var steps = arguments.Get("--steps", 5);
var threads = arguments.Get("--threads", 2);
var python = arguments.GetOrNull("--python");
set_num_threads(threads);

// Small inputs as the tests and small-data users train; 64 for the ImageNet designs whose stems divide by 32.
var cases = new (string Arch, int Size, int Batch)[] { ("resnet20", 32, 128), ("resnet18", 32, 64), ("resnet50", 64, 16), ("googlenet", 64, 32), ("alexnet", 64, 64), ("vgg11", 32, 32) };
Console.WriteLine("| network, batch, 2 threads | train contiguous | train channels-last | eval contiguous | eval channels-last | PyTorch train CL/contiguous | PyTorch eval CL/contiguous |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
foreach (var (arch, size, batch) in cases)
{
    var ours = new List<double>[4] { [], [], [], [] };
    var theirs = new List<double[]>();
    for (var r = 0; r < repeats; r++)
    {
        foreach (var channelsLast in r % 2 == 0 ? new[] { false, true } : [true, false])
        {
            var (train, evaluate) = Measure(arch, size, batch, channelsLast);
            ours[channelsLast ? 1 : 0].Add(train);
            ours[channelsLast ? 3 : 2].Add(evaluate);
        }
        if (python is not null)
            theirs.Add(PyTorchPeer.Run(python, "channels_last.py", "--arch", arch, "--size", $"{size}", "--batch", $"{batch}", "--steps", $"{steps}", "--threads", $"{threads}")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray());
    }
    var (tc, tl, ec, el) = (Median(ours[0]), Median(ours[1]), Median(ours[2]), Median(ours[3]));
    var peer = theirs.Count == 0 ? " | |" : string.Create(CultureInfo.InvariantCulture,
        $" {Median(theirs.Select(t => t[1] / t[0])):F2}x | {Median(theirs.Select(t => t[3] / t[2])):F2}x |");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {arch} 3x{size}x{size} b{batch} | {tc:F1} | {tl:F1} ({tl / tc:F2}x) | {ec:F1} | {el:F1} ({el / ec:F2}x) |{peer}"));
}

(double Train, double Evaluate) Measure(string arch, int size, int batch, bool channelsLast)
{
    manual_seed(1);
    using var model = CnnZoo.Create(arch, 10, 3);
    using var images = randn(batch, 3, size, size);
    using var labels = randint(0, 10, [batch]);
    using var x = ComputeFormat.Layout(images, channelsLast).alias();   // the layout the library gives a batch
    using var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
    model.train();
    var train = new List<double>();
    for (var step = 0; step <= steps; step++)   // the first step warms up
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(x), labels);
        loss.backward();
        optimizer.step();
        loss.item<float>();
        train.Add(clock.Elapsed.TotalSeconds);
    }
    model.eval();
    var evaluate = new List<double>();
    using (no_grad())
        for (var step = 0; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            model.call(x).sum().item<float>();
            evaluate.Add(clock.Elapsed.TotalSeconds);
        }
    return (batch / Median(train.Skip(1)), batch / Median(evaluate.Skip(1)));
}
