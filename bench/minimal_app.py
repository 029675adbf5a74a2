"""The platform's floor for the serving benchmark (bench/serve.py): the least a Streamlit page with
one Plotly chart costs per visit. A title (the benchmark waits for the page's h1, as for the
dashboard) and one bar chart of eleven fiscal years."""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="minimal", layout="wide")
st.title("Minimal", anchor=False)
fys = list(range(2016, 2027))
fig = go.Figure(go.Bar(x=fys, y=[3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 6]))
st.plotly_chart(fig, key="chart", theme=None)
