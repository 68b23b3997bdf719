using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetCnn.Data;

/// <summary>
/// Names a row by its text columns (an image path, an id), so an error about an unreadable image can say
/// which file it was. Only used on the error path: it re-reads the data up to that row.
/// </summary>
internal static class RowDescription
{
    public static string Of(IDataView data, long position)
    {
        var texts = data.Schema.Where(c => !c.IsHidden && c.Type is TextDataViewType).ToList();
        if (texts.Count == 0)
            return "";
        using var cursor = data.GetRowCursor(texts);
        while (cursor.MoveNext())
        {
            if (cursor.Position != position)
                continue;
            var parts = texts.Select(column =>
            {
                var value = default(ReadOnlyMemory<char>);
                cursor.GetGetter<ReadOnlyMemory<char>>(column)(ref value);
                return $"{column.Name} = '{value}'";
            });
            return $" ({string.Join(", ", parts)})";
        }
        return "";
    }
}
