using System.Text.RegularExpressions;
using FluentAssertions;

namespace MLNetCnn.Cli.Tests.Layering;

/// <summary>
/// The README's layering claim, checked on the sources: inside each project, a folder uses only types of folders below it
/// (all types share one namespace, so the compiler does not see this). A type is the folder of the file that declares it at
/// the top level; a use is its name where a type can stand (not a member after a dot, not a method being declared or called).
/// </summary>
public class FolderLayeringTests
{
    /// <summary>Each project's folders, lowest first; folders of one level must not use each other.</summary>
    public static TheoryData<string, string[][]> Projects => new()
    {
        { "src/Zoo", [["IO", "Onnx", "Analysis"], ["Weights"], ["Core"], ["AlexNet", "Vgg", "GoogLeNet", "ResNet"], ["Pretrained"], ["Registry"]] },
        {
            "src/CnnEstimators",
            [["Shared", "Internal"], ["Options"], ["Data"], ["Scoring"], ["Quantization"], ["Persistence"], ["Training"], ["Recipes", "Featurization"],
             ["Explanation", "Ensemble", "Experiment", "Search"], ["Catalog"]]
        },
        { "src/Charts", [["."], ["Report"]] },
        { "src/Cli", [["Shared"], ["Compare", "Evaluate", "Export", "Featurize", "Predict", "Search", "Summary", "Train"], ["."]] },
    };

    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "MLNetCnn.sln")))
            folder = folder.Parent;
        return folder?.FullName ?? throw new DirectoryNotFoundException("No MLNetCnn.sln above the test's folder.");
    }

    // Comments and string literals say nothing about dependencies.
    private static string Code(string source) => Regex.Replace(source,
        @"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|\$?""(?:[^""\\\n]|\\.)*""|'(?:[^'\\\n]|\\.)'", " ", RegexOptions.Singleline);

    private static readonly Regex TopLevelType = new(
        @"^(?:public|internal)\s+(?:(?:sealed|static|abstract|partial|readonly)\s+)*(?:class|record|struct|enum|interface)\s+(\w+)", RegexOptions.Multiline);

    [Theory]
    [MemberData(nameof(Projects))]
    public void EachFolder_UsesOnlyTheFoldersBelowIt(string project, string[][] levels)
    {
        var projectRoot = Path.Combine(Root, project);
        var files = Directory.EnumerateFiles(projectRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(f => (Path: f, Folder: FolderOf(projectRoot, f), Code: Code(File.ReadAllText(f))))
            .ToList();
        var level = levels.SelectMany((folders, i) => folders.Select(f => (f, i))).ToDictionary(x => x.f, x => x.i);
        files.Select(f => f.Folder).Distinct().Should().OnlyContain(f => level.ContainsKey(f), $"every folder of {project} must have a place in the layering");
        var owner = files.SelectMany(f => TopLevelType.Matches(f.Code).Select(m => (Type: m.Groups[1].Value, f.Folder)))
            .GroupBy(t => t.Type).ToDictionary(g => g.Key, g => g.Select(t => t.Folder).Distinct().ToList());

        var violations = new List<string>();
        foreach (var file in files)
            foreach (var (type, folders) in owner)
                foreach (var folder in folders.Where(f => f != file.Folder && level[f] >= level[file.Folder]))
                    if (Regex.IsMatch(file.Code, $@"(?<![.\w]){type}\b(?!\s*\()") || Regex.IsMatch(file.Code, $@"\bnew\s+{type}\s*\("))
                        violations.Add($"{Path.GetRelativePath(projectRoot, file.Path)} ({file.Folder}) uses {type} of {folder}");

        violations.Should().BeEmpty($"folders of {project} depend one way, lower to higher ({string.Join(" < ", levels.Select(l => string.Join("/", l)))})");
    }

    [Fact]
    public void TheChecker_FindsAFolderThatReachesUp()
    {
        // The check itself: a type of a higher folder named in a lower one is found; a member of that name after a dot is not.
        var code = Code("var x = new CnnTrainer(env, o); // CnnExperiment\nvar y = graph.CnnExperiment(1);");
        Regex.IsMatch(code, @"(?<![.\w])CnnTrainer\b(?!\s*\()").Should().BeFalse("a constructor call is matched by the new-pattern");
        Regex.IsMatch(code, @"\bnew\s+CnnTrainer\s*\(").Should().BeTrue();
        Regex.IsMatch(code, @"(?<![.\w])CnnExperiment\b(?!\s*\()").Should().BeFalse("comments and members after a dot are not uses");
    }

    private static string FolderOf(string projectRoot, string file)
    {
        var relative = Path.GetRelativePath(projectRoot, Path.GetDirectoryName(file)!);
        return relative == "." ? "." : relative.Split(Path.DirectorySeparatorChar)[0];
    }
}
