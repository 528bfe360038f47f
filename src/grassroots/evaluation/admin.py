from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdmin

from .models import Evaluation, EvaluationItem, PerformanceRecord

admin.site.register(Evaluation, ReadOnlyAdmin)
admin.site.register(EvaluationItem, ReadOnlyAdmin)
admin.site.register(PerformanceRecord, ReadOnlyAdmin)
