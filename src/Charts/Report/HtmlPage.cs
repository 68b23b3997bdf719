using System.Globalization;
using System.Net;
using System.Text;

namespace MLNetCnn.Charts.Report;

/// <summary>
/// One self-contained HTML page: inline CSS, images as PNG data URIs, no script and nothing fetched from elsewhere.
/// Every text is HTML-encoded on the way in.
/// </summary>
internal sealed class HtmlPage
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
        h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; margin: 0.5em 0; } th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
        th:first-child, td:first-child { text-align: left; } th { background: #f3f3f3; }
        img.chart { width: 49%; min-width: 420px; } figure { display: inline-block; margin: 0.4em; text-align: center; font-size: 0.85em; }
        figure img { width: 128px; height: 128px; image-rendering: pixelated; border: 1px solid #ccc; }
        dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; } dt { font-weight: 600; }
        """;

    private readonly StringBuilder body = new();

    public HtmlPage(string title)
    {
        Title = title;
        body.Append("<h1>").Append(Encode(title)).Append("</h1>\n");
    }

    public string Title { get; }

    public HtmlPage Heading(string text)
    {
        body.Append("<h2>").Append(Encode(text)).Append("</h2>\n");
        return this;
    }

    public HtmlPage Paragraph(string text)
    {
        body.Append("<p>").Append(Encode(text)).Append("</p>\n");
        return this;
    }

    /// <summary>Name-value pairs as a definition list.</summary>
    public HtmlPage Facts(IEnumerable<(string Name, string Value)> facts)
    {
        body.Append("<dl>\n");
        foreach (var (name, value) in facts)
            body.Append("<dt>").Append(Encode(name)).Append("</dt><dd>").Append(Encode(value)).Append("</dd>\n");
        body.Append("</dl>\n");
        return this;
    }

    /// <summary>A table; <paramref name="shade"/> gives a cell's background intensity in [0, 1] (a heat map), or null for none.</summary>
    public HtmlPage Table(string cssClass, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, Func<int, int, double?>? shade = null)
    {
        body.Append("<table class=\"").Append(Encode(cssClass)).Append("\">\n<thead><tr>");
        foreach (var cell in header)
            body.Append("<th>").Append(Encode(cell)).Append("</th>");
        body.Append("</tr></thead>\n<tbody>\n");
        var r = 0;
        foreach (var row in rows)
        {
            body.Append("<tr>");
            for (var c = 0; c < row.Count; c++)
            {
                var intensity = shade?.Invoke(r, c);
                // Light text on the darkest cells keeps the counts readable.
                body.Append(intensity is double v
                    ? string.Create(CultureInfo.InvariantCulture,
                        $"<td style=\"background: rgba(31, 119, 180, {Math.Clamp(v, 0, 1):F3}){(v > 0.6 ? "; color: white" : "")}\">")
                    : "<td>");
                body.Append(Encode(row[c])).Append("</td>");
            }
            body.Append("</tr>\n");
            r++;
        }
        body.Append("</tbody></table>\n");
        return this;
    }

    public HtmlPage Image(byte[] png, string alternative, string cssClass = "chart")
    {
        body.Append("<img class=\"").Append(Encode(cssClass)).Append("\" alt=\"").Append(Encode(alternative)).Append("\" src=\"").Append(DataUri(png)).Append("\">\n");
        return this;
    }

    /// <summary>Pictures side by side, each with a caption.</summary>
    public HtmlPage Gallery(IEnumerable<(byte[] Png, string Caption)> figures)
    {
        body.Append("<div class=\"gallery\">\n");
        foreach (var (png, caption) in figures)
            body.Append("<figure><img alt=\"").Append(Encode(caption)).Append("\" src=\"").Append(DataUri(png)).Append("\"><figcaption>")
                .Append(Encode(caption)).Append("</figcaption></figure>\n");
        body.Append("</div>\n");
        return this;
    }

    public override string ToString()
        => $"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{Encode(Title)}</title>\n<style>\n{Style}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n";

    /// <summary>Writes the page whole or not at all: into a temporary file beside it, then renamed.</summary>
    public void Save(string path)
    {
        var temporary = $"{path}.tmp-{Environment.ProcessId}";
        try
        {
            File.WriteAllText(temporary, ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);
}
