namespace MLNetCnn.Zoo;

/// <summary>A weights file does not fit the model: keys are missing, unexpected, or of another shape.</summary>
public sealed class WeightsMismatchException : Exception
{
    /// <summary>Describes the mismatch between <paramref name="path"/> and the model.</summary>
    public WeightsMismatchException(string architecture, string path, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> wrongShape)
        : base(Describe(architecture, path, missing, unexpected, wrongShape))
    {
        MissingKeys = missing;
        UnexpectedKeys = unexpected;
        WrongShapeKeys = wrongShape;
    }

    /// <summary>Keys of the model that the file lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys of the file that the model lacks.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys present in both with different shapes, each as <c>key: file shape vs model shape</c>.</summary>
    public IReadOnlyList<string> WrongShapeKeys { get; }

    private static string Describe(string architecture, string path, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> wrongShape)
    {
        const int shown = 10;
        static string List(IReadOnlyList<string> keys) =>
            string.Join(", ", keys.Take(shown)) + (keys.Count > shown ? $", ... ({keys.Count - shown} more)" : "");
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing keys ({missing.Count}): {List(missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected keys ({unexpected.Count}): {List(unexpected)}");
        if (wrongShape.Count > 0) parts.Add($"wrongly shaped keys ({wrongShape.Count}): {List(wrongShape)}");
        return $"The weights in '{path}' do not fit {architecture}: {string.Join("; ", parts)}. " +
               "Check the file is for this architecture; to fine-tune with another class count, create the model with the file's class count, " +
               "or pass skip: model.ClassifierKeyPrefixes (and strict: false) to leave the head out.";
    }
}
