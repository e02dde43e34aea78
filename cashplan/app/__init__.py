"""What people use: the Analysis that ties the layers together, the report folder and its
tables, the notebooks' helpers, charts, the workbook, the command line and the app server."""
