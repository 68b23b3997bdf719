// ZooSummary: the lecture's "comparing complexity" numbers for every architecture of the zoo,
// or the per-layer table of one.
// Usage: dotnet run --project samples/ZooSummary                 (all names, Markdown table)
//        dotnet run --project samples/ZooSummary -- vgg16 [size] (one network, layer by layer)
using System.Globalization;
using MLNetCnn.Zoo;

if (args.Length > 0)
{
    using var model = CnnZoo.Create(args[0]);
    var size = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : model.DefaultImageSize;
    Console.Write(CnnZoo.Summarize(model, model.InChannels, size, size));
    return;
}

Console.WriteLine("| name | input | parameters | MACs | activations |");
Console.WriteLine("|---|---|---:|---:|---:|");
foreach (var name in CnnZoo.Names)
{
    var cifar = name.StartsWith("plain") || (name.StartsWith("resnet") && CifarResNet.PaperDepths.Any(d => name == $"resnet{d}"));
    using var model = CnnZoo.Create(name, numClasses: cifar ? 10 : 1000);
    var size = model.DefaultImageSize;
    var summary = CnnZoo.Summarize(model, 3, size, size);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| `{name}` | 3x{size}x{size} | {summary.TotalParameters:N0} | {summary.TotalMacs / 1e9:F3} G | {summary.TotalActivations / 1e6:F2} M |"));
}
