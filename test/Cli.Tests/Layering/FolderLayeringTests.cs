using System.Text.RegularExpressions;
using FluentAssertions;

namespace MLNetCnn.Cli.Tests.Layering;

/// <summary>
/// The README's layering claim, checked on the sources: inside each project, a folder uses only types of folders below it
/// (most types share a few namespaces, so the compiler does not see this). A type is the folder of the file that declares it at
/// the top level; a use is its name where a type can stand (not a member after a dot, not a method being declared or called)
/// in a file that sees its namespace (the same or a nested one, or a using of it), or its name qualified by its namespace's
/// last part (Fused.AdamW): a type named like TorchSharp's AdamW, in a namespace of its own, is not used by a file that names
/// the enum member CnnOptimizer.AdamW.
/// </summary>
public class FolderLayeringTests
{
    /// <summary>Each project's folders, lowest first; folders of one level must not use each other.</summary>
    public static TheoryData<string, string[][]> Projects => new()
    {
        { "src/Zoo", [["IO", "Onnx", "Analysis"], ["Weights"], ["Core"], ["AlexNet", "Vgg", "GoogLeNet", "ResNet"], ["Pretrained"], ["Registry"]] },
        {
            "src/CnnEstimators",
            [["Shared", "Internal"], ["Options"], ["Compute"], ["Data"], ["Scoring"], ["Quantization"], ["Persistence"], ["Training"], ["Recipes", "Featurization"],
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
            .Select(f => (f.Path, f.Folder, f.Code, Namespace: FileNamespace.Match(f.Code).Groups[1].Value))
            .ToList();
        var level = levels.SelectMany((folders, i) => folders.Select(f => (f, i))).ToDictionary(x => x.f, x => x.i);
        files.Select(f => f.Folder).Distinct().Should().OnlyContain(f => level.ContainsKey(f), $"every folder of {project} must have a place in the layering");
        var owner = files.SelectMany(f => TopLevelType.Matches(f.Code).Select(m => (Type: m.Groups[1].Value, f.Folder, f.Namespace)))
            .GroupBy(t => t.Type).ToDictionary(g => g.Key, g => g.Select(t => (t.Folder, t.Namespace)).Distinct().ToList());

        var violations = new List<string>();
        foreach (var file in files)
            foreach (var (type, declarations) in owner)
                foreach (var (folder, space) in declarations.Where(d => d.Folder != file.Folder && level[d.Folder] >= level[file.Folder]))
                    if (Uses(file.Code, file.Namespace, type, space))
                        violations.Add($"{Path.GetRelativePath(projectRoot, file.Path)} ({file.Folder}) uses {type} of {folder}");

        violations.Should().BeEmpty($"folders of {project} depend one way, lower to higher ({string.Join(" < ", levels.Select(l => string.Join("/", l)))})");
    }

    private static readonly Regex FileNamespace = new(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline);

    // Whether code in namespace `where` names `type`, declared in namespace `space`, as the compiler would resolve it.
    private static bool Uses(string code, string where, string type, string space)
    {
        var qualified = Regex.IsMatch(code, $@"\b{space.Split('.')[^1]}\.{type}\b");
        var sees = space.Length == 0 || where == space || where.StartsWith(space + ".", StringComparison.Ordinal) || Regex.IsMatch(code, $@"^using\s+{Regex.Escape(space)}\s*;", RegexOptions.Multiline);
        return qualified || (sees && (Regex.IsMatch(code, $@"(?<![.\w]){type}\b(?!\s*\()") || Regex.IsMatch(code, $@"\bnew\s+{type}\s*\(")));
    }

    [Fact]
    public void TheChecker_FindsAFolderThatReachesUp()
    {
        // The check itself: a type of a higher folder named in a lower one is found; a member of that name after a dot is not.
        var code = Code("var x = new CnnTrainer(env, o); // CnnExperiment\nvar y = graph.CnnExperiment(1);");
        Regex.IsMatch(code, @"(?<![.\w])CnnTrainer\b(?!\s*\()").Should().BeFalse("a constructor call is matched by the new-pattern");
        Regex.IsMatch(code, @"\bnew\s+CnnTrainer\s*\(").Should().BeTrue();
        Regex.IsMatch(code, @"(?<![.\w])CnnExperiment\b(?!\s*\()").Should().BeFalse("comments and members after a dot are not uses");
        Uses("namespace MLNetCnn;\nvar k = CnnOptimizer.AdamW; AdamW x;", "MLNetCnn", "AdamW", "MLNetCnn.Training.Fused").Should().BeFalse("that namespace is not seen");
        Uses("namespace MLNetCnn.Training;\nvar o = new Fused.AdamW(g, 1, 0);", "MLNetCnn.Training", "AdamW", "MLNetCnn.Training.Fused").Should().BeTrue("a qualified use is a use");
        Uses("namespace MLNetCnn;\nusing MLNetCnn.Training.Fused;\nAdamW x;", "MLNetCnn", "AdamW", "MLNetCnn.Training.Fused").Should().BeTrue("a using makes it seen");
        Uses("namespace MLNetCnn.Data;\nCnnTrainer t;", "MLNetCnn.Data", "CnnTrainer", "MLNetCnn").Should().BeTrue("a nested namespace sees its parent's types");
    }

    private static string FolderOf(string projectRoot, string file)
    {
        var relative = Path.GetRelativePath(projectRoot, Path.GetDirectoryName(file)!);
        return relative == "." ? "." : relative.Split(Path.DirectorySeparatorChar)[0];
    }
}
