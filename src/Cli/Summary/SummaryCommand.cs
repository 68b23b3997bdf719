using System.CommandLine;
using System.Globalization;
using MLNetCnn.Zoo;
using Spectre.Console;

namespace MLNetCnn.Cli.Summary;

/// <summary>
/// <c>mlnetcnn summary</c>: the lecture's per-layer table for any architecture at any input size: output shape, parameters,
/// multiply-accumulates, activations (memory) and receptive field.
/// </summary>
internal static class SummaryCommand
{
    public static Command Create(CliConsole console)
    {
        var architecture = new Option<string>("--arch", "-a") { Description = $"Architecture: {string.Join(", ", CnnZoo.Names)}.", Required = true };
        var size = new Option<int?>("--size") { Description = "Input width and height; default the architecture's own (224 for ImageNet networks)." };
        var channels = new Option<int>("--channels") { Description = "Input channels.", DefaultValueFactory = _ => 3 };
        var classes = new Option<int>("--classes") { Description = "Classes of the head.", DefaultValueFactory = _ => 1000 };
        CliOptions.RequirePositive(size);
        CliOptions.RequirePositive(channels);
        CliOptions.RequirePositive(classes);
        var command = new Command("summary", "Print an architecture's layers: output shape, parameters, MACs, activations, receptive field.");
        foreach (var option in new Option[] { architecture, size, channels, classes })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var name = parse.GetValue(architecture)!;
            if (!CnnZoo.IsRegistered(name))
                throw new CliUserException($"--arch: unknown architecture '{name}'; known: {string.Join(", ", CnnZoo.Names)}.");
            using var model = CnnZoo.Create(name, parse.GetValue(classes), parse.GetValue(channels));
            var side = parse.GetValue(size) ?? model.DefaultImageSize;
            if (side < model.MinImageSize)
                throw new CliUserException($"--size: {name} needs at least {model.MinImageSize}x{model.MinImageSize} pixels (got {side}).");
            var summary = CnnZoo.Summarize(model, parse.GetValue(channels), side, side);
            Render(console.Ansi, name, summary);
            var weights = CnnZoo.Weights(name);
            console.Out.WriteLine(weights.Count == 0
                ? $"{name} has no pretrained weights in the catalogue."
                : $"pretrained weights (--weights): {string.Join("; ", weights.Select(w => $"{w.Name}" + (w.Top1 is double top1 ? $" (ImageNet top-1 {top1}%)" : " (offline)")))}");
            return ExitCode.Success;
        });
        return command;
    }

    private static void Render(IAnsiConsole console, string name, ModelSummary summary)
    {
        var c = CultureInfo.InvariantCulture;
        var table = new Table().Title(Markup.Escape($"{name}, input {string.Join("x", summary.InputShape)}"))
            .AddColumn("layer").AddColumn("kind").AddColumn("output")
            .AddColumn(new TableColumn("parameters").RightAligned()).AddColumn(new TableColumn("MACs").RightAligned())
            .AddColumn(new TableColumn("activations").RightAligned()).AddColumn(new TableColumn("receptive field").RightAligned());
        foreach (var layer in summary.Layers)
            table.AddRow(Markup.Escape(layer.Name), Markup.Escape(layer.Kind), string.Join("x", layer.OutputShape), layer.Parameters.ToString("N0", c),
                layer.Macs.ToString("N0", c), layer.Activations.ToString("N0", c), layer.ReceptiveField?.ToString(c) ?? "");
        table.AddRow("total", "", "", summary.TotalParameters.ToString("N0", c), summary.TotalMacs.ToString("N0", c), summary.TotalActivations.ToString("N0", c), "");
        console.Write(table);
    }
}
