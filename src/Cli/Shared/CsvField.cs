namespace MLNetCnn.Cli;

/// <summary>CSV fields as RFC 4180 writes them, made safe to open in a spreadsheet.</summary>
internal static class CsvField
{
    // A field starting with one of these is a formula to Excel, LibreOffice and Google Sheets ("CSV injection", OWASP):
    // a class folder named =HYPERLINK(...) would become a live link in the predictions.
    private const string FormulaStarts = "=+-@\t\r";

    /// <summary>
    /// The field, with a leading apostrophe when it would start a formula (spreadsheets show the text, not a formula's result), quoted
    /// (inner quotes doubled) when it holds a comma, quote or line break.
    /// </summary>
    public static string Escape(string field)
    {
        var text = field.Length > 0 && FormulaStarts.Contains(field[0], StringComparison.Ordinal) ? "'" + field : field;
        return text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
    }
}
