using System.Globalization;
using System.Text;

namespace MLNetCnn.Zoo;

/// <summary>One layer of a <see cref="ModelSummary"/>, in execution order.</summary>
/// <param name="Name">Qualified module name, as in the state_dict (for example <c>features.0</c>).</param>
/// <param name="Kind">Module type, for example <c>Conv2d</c>.</param>
/// <param name="OutputShape">Output shape of one image (for example <c>[96, 55, 55]</c>).</param>
/// <param name="Parameters">Learnable parameters of this layer.</param>
/// <param name="Macs">Multiply-accumulates for one image (convolutions and linear layers; others count 0).</param>
/// <param name="Activations">Output values for one image (what must be stored for the backward pass).</param>
/// <param name="ReceptiveField">Side of the input square one output value sees; <c>null</c> once features are global (after flattening).</param>
public sealed record LayerSummary(string Name, string Kind, IReadOnlyList<long> OutputShape, long Parameters, long Macs, long Activations, long? ReceptiveField);

/// <summary>Per-layer and total parameters, multiply-accumulates, activations and receptive fields of a network at one input size.</summary>
public sealed class ModelSummary
{
    internal ModelSummary(IReadOnlyList<long> inputShape, IReadOnlyList<LayerSummary> layers, long totalParameters)
    {
        InputShape = inputShape;
        Layers = layers;
        TotalParameters = totalParameters;
    }

    /// <summary>Input shape of one image: channels, height, width.</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <summary>The leaf layers in the order they ran.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>All learnable parameters of the module.</summary>
    public long TotalParameters { get; }

    /// <summary>Multiply-accumulates for one image.</summary>
    public long TotalMacs => Layers.Sum(l => l.Macs);

    /// <summary>Output values of all layers for one image.</summary>
    public long TotalActivations => Layers.Sum(l => l.Activations);

    /// <summary>The layer with the given qualified name.</summary>
    /// <exception cref="KeyNotFoundException">No layer has that name; the message lists some that do.</exception>
    public LayerSummary this[string name] => Layers.FirstOrDefault(l => l.Name == name)
        ?? throw new KeyNotFoundException($"No layer named '{name}'. Layers: {string.Join(", ", Layers.Take(12).Select(l => l.Name))}{(Layers.Count > 12 ? ", ..." : "")}.");

    /// <summary>The table: one line per layer, then the totals.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var rows = Layers.Select(l => new[]
        {
            l.Name, l.Kind, string.Join("x", l.OutputShape), l.Parameters.ToString("N0", c), l.Macs.ToString("N0", c),
            l.Activations.ToString("N0", c), l.ReceptiveField?.ToString(c) ?? "global",
        }).ToList();
        string[] header = ["layer", "kind", "output", "params", "MACs", "activations", "RF"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.AppendLine(string.Join("  ", cells.Select((cell, i) => i >= 3 ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))).TrimEnd());
        Line(header);
        rows.ForEach(Line);
        text.AppendLine(string.Create(c, $"input {string.Join("x", InputShape)}: {TotalParameters:N0} parameters, {TotalMacs:N0} MACs ({TotalMacs / 1e9:F3} G), {TotalActivations:N0} activations"));
        return text.ToString();
    }
}
