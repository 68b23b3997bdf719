using Microsoft.ML;

namespace MLNetCnn;

/// <summary>The error messages several features give, written once so they say the same thing everywhere.</summary>
internal static class Messages
{
    /// <summary>A column the caller named is not in the data; lists those that are.</summary>
    public static ArgumentException MissingColumn(string role, string name, IEnumerable<string> present, string parameterName)
        => Missing(role, name, present.Select(c => $"'{c}'"), parameterName);

    /// <summary>As <see cref="MissingColumn(string, string, IEnumerable{string}, string)"/>, for a schema (visible columns with their types).</summary>
    public static ArgumentException MissingColumn(string role, string name, DataViewSchema schema, string parameterName)
        => Missing(role, name, schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}' ({c.Type})"), parameterName);

    private static ArgumentException Missing(string role, string name, IEnumerable<string> present, string parameterName)
        => new($"The {role} column '{name}' is not in the data. Columns: {string.Join(", ", present)}. Set the {role} column name in the options.",
            parameterName);

    /// <summary>Saving needs the label's values as text.</summary>
    public static NotSupportedException LabelValuesNotText(string what, string found)
        => new($"{what} needs text label values (a key made by MapValueToKey over strings); this label's values are {found}.");

    /// <summary>CUDA was asked for and is not there.</summary>
    public static InvalidOperationException CudaUnavailable(string device)
        => new($"Device '{device}' was asked for, but CUDA is not available: build with -p:TorchSharpBackend=cuda-linux on a machine with an NVIDIA GPU, " +
               "or use Device = \"auto\" or \"cpu\".");

    /// <summary>A device string that is not one of the accepted forms.</summary>
    public static string InvalidDevice(string? device) => $"Device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got '{device}'.";
}
