namespace MLNetCnn.Cli;

/// <summary>CSV fields as RFC 4180 writes them.</summary>
internal static class CsvField
{
    /// <summary>The field, quoted (inner quotes doubled) when it holds a comma, quote or line break.</summary>
    public static string Escape(string field)
        => field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;
}
