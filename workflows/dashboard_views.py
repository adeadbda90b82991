"""dashboard_views"""

urlpatterns = []
