using FluentAssertions;

namespace MLNetCnn.Cli.Tests.Shared;

/// <summary>The CSV that predict and featurize write: RFC 4180 quoting, and no field a spreadsheet would run as a formula.</summary>
public class CsvFieldTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    public void Escape_FieldsThatStartAFormula_AreShownAsText(string field, string written)
        => CsvField.Escape(field).Should().Be(written);

    [Theory]
    [InlineData("cat", "cat")]
    [InlineData("/data/cats/1.png", "/data/cats/1.png")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("x=1", "x=1")]
    [InlineData("", "")]
    public void Escape_OtherFields_AreRfc4180(string field, string written)
        => CsvField.Escape(field).Should().Be(written);
}
