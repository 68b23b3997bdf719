using System.Text.Json;

namespace MLNetCnn.Zoo;

/// <summary>A model's registry arguments as the JSON checkpoints and ONNX metadata record (see <see cref="CnnModel.Arguments"/>).</summary>
internal static class ArchitectureArgumentsJson
{
    /// <summary>The arguments' JSON, by their own type; null for none.</summary>
    public static string? Of(object? arguments) => arguments is null ? null : JsonSerializer.Serialize(arguments, arguments.GetType());
}
