using DuckDB.NET.Data;

namespace ConnectReconcile.Io.Tests;

/// <summary>A query's rows as read by DuckDB, the independent reader the outputs are checked with.</summary>
internal static class DuckDbRows
{
    public static List<object?[]> Query(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }
}
