using Microsoft.Playwright;

namespace MLNetCnn.Charts.Tests.Report;

/// <summary>
/// The report opened in a real browser (Debian's chromium, headless, driven by Playwright): no console errors, every image
/// decoded, a confusion-matrix row per class. A screenshot is kept beside the test binaries as an artefact.
/// </summary>
public class BrowserTests(ReportedClassifier reported) : IClassFixture<ReportedClassifier>
{
    private static string Chromium => Environment.GetEnvironmentVariable("MLNETCNN_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    [Fact]
    public async Task Report_RendersInChromium_WithoutErrors_AndEveryImageDecoded()
    {
        File.Exists(Chromium).Should().BeTrue($"the browser tests need Chromium at {Chromium}: run 'bash eng/setup.sh --browser' (or set MLNETCNN_CHROMIUM)");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox"],   // the tests may run as root, where Chromium's sandbox refuses to start
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                errors.Add(message.Text);
        };
        page.PageError += (_, error) => errors.Add(error);

        await page.GotoAsync(new Uri(reported.Path).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });

        var images = await page.EvaluateAsync<int[]>("Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1)");
        images.Should().NotBeEmpty().And.OnlyContain(width => width > 0, "every image is decoded by the browser");
        (await page.Locator("table.confusion tbody tr").CountAsync()).Should().Be(reported.Classifier.LabelValues.Count);
        (await page.Locator("table.per-class tbody tr").CountAsync()).Should().Be(reported.Classifier.LabelValues.Count);
        (await page.TitleAsync()).Should().Contain("resnet20");
        var screenshot = Path.Combine(AppContext.BaseDirectory, "artefacts", "report.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        new FileInfo(screenshot).Length.Should().BeGreaterThan(10_000);
        errors.Should().BeEmpty("the page logs no console error");
    }
}
