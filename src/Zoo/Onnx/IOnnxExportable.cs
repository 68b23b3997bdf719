namespace MLNetCnn.Zoo;

/// <summary>A module whose forward is more than a chain of layers writes its ONNX nodes itself, beside its forward.</summary>
internal interface IOnnxExportable
{
    /// <summary>Adds the module's nodes reading <paramref name="input"/>; returns its output name.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">Name of the input value.</param>
    /// <param name="prefix">The module's state_dict prefix (ends with a dot, or empty).</param>
    string ExportOnnx(OnnxGraph graph, string input, string prefix);
}
