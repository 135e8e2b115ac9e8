"""Streamlit entry point: page config and navigation only (pages live in views/, logic in tco/)."""
from pathlib import Path

import streamlit as st

from views.common import keep_scenario_in_address

HERE = Path(__file__).resolve().parent

#: (page file relative to this folder, title, icon); the first is the default page. A missing page file
#: is an error (st.Page raises), never silently left out.
PAGES = (
    ("views/compare.py", "Compare", ":material/compare_arrows:"),
    ("views/traffic.py", "Traffic", ":material/show_chart:"),
    ("views/capacity.py", "Capacity", ":material/speed:"),
    ("views/finance.py", "Finance", ":material/account_balance:"),
    ("views/scenarios.py", "Scenarios", ":material/folder_open:"),
    ("views/optimizer.py", "Optimizer", ":material/tune:"),
    ("views/catalogs.py", "Catalogs", ":material/table_view:"),
    ("views/data.py", "Data", ":material/database:"),
    ("views/methodology.py", "Methodology", ":material/menu_book:"),
)

st.set_page_config(page_title="TCO: self-host Llama or pay per token", page_icon=":material/savings:",
                   layout="wide")

pages = [st.Page(str(HERE / file), title=title, icon=icon, default=(i == 0))
         for i, (file, title, icon) in enumerate(PAGES)]
page = st.navigation(pages, position="top")
keep_scenario_in_address()  # the address holds the session's scenario on every page (views/common.py)
page.run()
