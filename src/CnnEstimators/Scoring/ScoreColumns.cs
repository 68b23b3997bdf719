using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Scoring;

/// <summary>
/// The two output columns of a multiclass classifier, annotated as ML.NET's own multiclass trainers
/// annotate them, so <c>Evaluate</c>, <c>MapKeyToValue</c> and prediction engines treat them alike.
/// </summary>
internal sealed class ScoreColumns
{
    // ML.NET's annotation names and values (AnnotationUtils is internal; these strings are its public contract).
    public const string SlotNames = "SlotNames";
    public const string KeyValues = "KeyValues";
    public const string ScoreColumnKind = "ScoreColumnKind";
    public const string ScoreValueKind = "ScoreValueKind";
    private const string MulticlassKind = "MulticlassClassification";

    public ScoreColumns(string scoreName, string predictedLabelName, KeyDataViewType labelType, DataViewSchema.Annotations labelAnnotations)
    {
        ScoreName = scoreName;
        PredictedLabelName = predictedLabelName;
        LabelType = labelType.RawType == typeof(uint) ? labelType : new KeyDataViewType(typeof(uint), labelType.Count);
        LabelAnnotations = labelAnnotations;
    }

    public string ScoreName { get; }
    public string PredictedLabelName { get; }
    public KeyDataViewType LabelType { get; }
    public DataViewSchema.Annotations LabelAnnotations { get; }
    public int Classes => (int)LabelType.Count;

    /// <summary>The input schema followed by Score and PredictedLabel (which hide input columns of the same names).</summary>
    public DataViewSchema OutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(ScoreName, new VectorDataViewType(NumberDataViewType.Single, Classes), ScoreAnnotations());
        builder.AddColumn(PredictedLabelName, LabelType, PredictedLabelAnnotations());
        return builder.ToSchema();
    }

    private DataViewSchema.Annotations ScoreAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        if (LabelAnnotations.Schema.GetColumnOrNull(KeyValues) is { Type: VectorDataViewType { ItemType: TextDataViewType } } keyValues)
        {
            ValueGetter<VBuffer<ReadOnlyMemory<char>>> names = (ref VBuffer<ReadOnlyMemory<char>> value)
                => LabelAnnotations.GetValue(KeyValues, ref value);
            builder.Add(SlotNames, keyValues.Type, names);
        }
        AddText(builder, ScoreColumnKind, MulticlassKind);
        AddText(builder, ScoreValueKind, "Score");
        return builder.ToAnnotations();
    }

    private DataViewSchema.Annotations PredictedLabelAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(LabelAnnotations, name => name == KeyValues);
        AddText(builder, ScoreColumnKind, MulticlassKind);
        AddText(builder, ScoreValueKind, "PredictedLabel");
        return builder.ToAnnotations();
    }

    private static void AddText(DataViewSchema.Annotations.Builder builder, string name, string text)
    {
        ValueGetter<ReadOnlyMemory<char>> getter = (ref ReadOnlyMemory<char> value) => value = text.AsMemory();
        builder.Add(name, TextDataViewType.Instance, getter);
    }
}
