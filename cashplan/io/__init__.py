"""Reading and writing: the book folder, the report's files, the workbook's edits, the FEC,
output folders swapped in whole. The only layer that touches files (with ``app.report``)."""
