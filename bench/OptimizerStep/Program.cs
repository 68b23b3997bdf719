// Where a training step's time goes on small inputs (forward with the loss, backward, the optimiser's step with
// zero_grad), for TorchSharp's own AdamW and SGD and the trainer's (libtorch's fused kernels), and, when a python with torch is
// given, PyTorch's AdamW (its default multi-tensor "foreach" step and fused=True) and SGD (foreach), the same model and batch.
// Contenders alternate in rotating order; medians of the repeats. Prints Markdown rows: ms per phase, the optimiser's
// share of the step, and images/s.
// Usage: dotnet run -c Release --project bench/OptimizerStep
//        [-- --arch resnet18 --channels 3 --size 32 --batch 64 --steps 20 --repeats 5 --threads 2 --python /usr/bin/python3.13]
using System.Diagnostics;
using System.Globalization;
using MLNetCnn.Bench;
using MLNetCnn.Samples;
using MLNetCnn.Zoo;
using TorchSharp.Modules;
using static MLNetCnn.Bench.Statistics;
using static TorchSharp.torch;

var arguments = new Arguments(args);
var arch = arguments.Get("--arch", "resnet18");
var channels = arguments.Get("--channels", 3);
var size = arguments.Get("--size", 32);
var batch = arguments.Get("--batch", 64);
var steps = arguments.Get("--steps", 20);
var repeats = arguments.Get("--repeats", 5);
var threads = arguments.Get("--threads", 2);
var python = arguments.GetOrNull("--python");
set_num_threads(threads);

// The optimisers of the default recipe (AdamW 0.002, decay 5e-4) and of the SGD recipe (0.1, momentum 0.9, Nesterov, 5e-4).
var contenders = new List<(string Name, Func<CnnModel, OptimizerHelper>? Create, string? Peer)>
{
    ("TorchSharp AdamW", m => optim.AdamW(m.parameters(), 0.002, weight_decay: 5e-4), null),
    ("MLNetCnn AdamW (libtorch fused kernel)", m => new MLNetCnn.Training.Fused.AdamW([new AdamW.ParamGroup(m.parameters(), 0.002, weight_decay: 5e-4)], 0.002, 5e-4), null),
    ("TorchSharp SGD", m => optim.SGD(m.parameters(), 0.1, momentum: 0.9, weight_decay: 5e-4, nesterov: true), null),
    ("MLNetCnn SGD (libtorch fused kernel)", m => new MLNetCnn.Training.Fused.SGD([new SGD.ParamGroup(m.parameters(), 0.1, 0.9, weight_decay: 5e-4, nesterov: true)], 0.1, 0.9, 5e-4, true), null),
};
if (python is not null)
    contenders.AddRange([("PyTorch AdamW (foreach)", null, "adamw"), ("PyTorch AdamW (fused=True)", null, "adamw-fused"), ("PyTorch SGD (foreach)", null, "sgd")]);

var phases = contenders.ToDictionary(c => c.Name, _ => new List<(double Forward, double Backward, double Step)>());
for (var r = 0; r < repeats; r++)
    for (var k = 0; k < contenders.Count; k++)
    {
        var (name, create, peer) = contenders[(r + k) % contenders.Count];
        var measured = create is not null ? Measure(create) : Peer(peer!);
        phases[name].Add(measured);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run {r + 1}, {name}: forward {measured.Forward:F1} ms, backward {measured.Backward:F1} ms, step {measured.Step:F1} ms"));
    }

Console.WriteLine($"| {arch} {channels}x{size}x{size} b{batch} | forward ms | backward ms | optimiser ms | optimiser share | images/s |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
foreach (var (name, runs) in phases)
{
    var (forward, backward, step) = (Median(runs.Select(p => p.Forward)), Median(runs.Select(p => p.Backward)), Median(runs.Select(p => p.Step)));
    var total = forward + backward + step;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {forward:F1} | {backward:F1} | {step:F1} | {step / total:P1} | {batch * 1000 / total:F0} |"));
}

// Milliseconds per step in each phase, averaged over the steps after three warm-up steps.
(double Forward, double Backward, double Step) Measure(Func<CnnModel, OptimizerHelper> create)
{
    manual_seed(1);
    using var model = CnnZoo.Create(arch, 10, channels);
    model.train();
    using var optimizer = create(model);
    using var images = randn(batch, channels, size, size);
    using var targets = randint(0, 10, [batch]);
    double forward = 0, backward = 0, step = 0;
    for (var s = 0; s < steps + 3; s++)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var loss = nn.functional.cross_entropy(model.call(images), targets);
        loss.item<float>();
        var afterForward = clock.Elapsed.TotalMilliseconds;
        loss.backward();
        var afterBackward = clock.Elapsed.TotalMilliseconds;
        optimizer.step();
        optimizer.zero_grad();
        var afterStep = clock.Elapsed.TotalMilliseconds;
        if (s < 3)
            continue;
        forward += afterForward;
        backward += afterBackward - afterForward;
        step += afterStep - afterBackward;
    }
    return (forward / steps, backward / steps, step / steps);
}

(double Forward, double Backward, double Step) Peer(string optimizer)
{
    var output = PyTorchPeer.Run(python!, "optimizer_step.py", "--arch", arch, "--channels", $"{channels}", "--size", $"{size}",
        "--batch", $"{batch}", "--steps", $"{steps}", "--threads", $"{threads}", "--optimizer", optimizer);
    var figures = output.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
    return (figures[0], figures[1], figures[2]);
}
